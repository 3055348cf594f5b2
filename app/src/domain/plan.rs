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
    /// With CUPED on and an expected correlation typed in: the plan above is already the
    /// smaller one; this is what it would need without CUPED.
    #[serde(default)]
    pub cuped: Option<CupedSaving>,
}

/// What CUPED's expected correlation saves: n x (1 - rho^2) instead of n.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CupedSaving {
    pub rho: f64,
    pub n_per_arm_without: u64,
    pub days_without: Option<u64>,
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
    let baseline = match brief.primary.statistic() {
        MetricKind::Proportion => stats::SampleSizeBaseline::Proportion {
            baseline_rate: brief.baseline_rate.ok_or(PlanError::NoBaselineRate)?,
        },
        // A ratio is planned from its per-user mean and sd, the delta method's normal limit.
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
    // CUPED's variance reduction: the adjusted metric's variance is (1 - rho^2) of the plain
    // one, so the same power needs that share of the users (STATISTICS.md section 9).
    let shrink = match (brief.cuped.enabled, brief.cuped.expected_correlation) {
        (true, Some(rho)) if (0.0..1.0).contains(&rho) && rho > 0.0 => Some((rho, 1.0 - rho * rho)),
        _ => None,
    };
    let arms = brief.arms.len().max(2) as u64;
    let (n_per_arm, days_needed, cuped) = match shrink {
        None => (size.n_per_arm, size.days_needed, None),
        Some((rho, factor)) => {
            let n = ((size.n_per_arm as f64 * factor).ceil() as u64).max(1);
            let days = brief
                .daily_traffic
                .filter(|t| *t > 0)
                .map(|t| (n * arms).div_ceil(t));
            let saving = CupedSaving {
                rho,
                n_per_arm_without: size.n_per_arm,
                days_without: size.days_needed,
            };
            (n, days, Some(saving))
        }
    };
    let recommended_days = days_needed.map(|d| (d.div_ceil(7) * 7).max(7));
    let suggested_end = match (brief.planned_start, recommended_days) {
        (Some(start), Some(days)) => Some(start + Duration::days(days as i64)),
        _ => None,
    };
    let shortfall = match (brief.planned_start, brief.planned_end, brief.daily_traffic) {
        (Some(start), Some(end), Some(traffic)) if end > start => {
            let planned_days = (end - start).num_days();
            let n_planned = (planned_days as u64).saturating_mul(traffic) / arms;
            // Under CUPED n users carry the information of n / (1 - rho^2) plain ones.
            let effective = match shrink {
                Some((_, factor)) => (n_planned as f64 / factor) as u64,
                None => n_planned,
            };
            (n_planned < n_per_arm).then(|| Shortfall {
                planned_days,
                n_per_arm_planned: n_planned,
                achieved_power: stats::achieved_power(&req, effective),
            })
        }
        _ => None,
    };
    Ok(Plan {
        n_per_arm,
        total_users: n_per_arm * arms,
        days_needed,
        recommended_days,
        suggested_end,
        shortfall,
        cuped,
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
    fn cuped_with_an_expected_correlation_needs_n_times_one_minus_rho_squared() {
        let mut b = complete_brief();
        b.cuped.enabled = true;
        b.cuped.expected_correlation = Some(0.5);
        let p = plan(&b).unwrap();
        // 57,763 * 0.75 = 43,322.25 -> 43,323 per arm; 86,646 users at 10,000 a day.
        assert_eq!(p.n_per_arm, 43_323);
        assert_eq!(p.total_users, 86_646);
        assert_eq!(p.days_needed, Some(9));
        assert_eq!(p.recommended_days, Some(14));
        let saving = p.cuped.unwrap();
        assert_eq!(
            (saving.n_per_arm_without, saving.days_without),
            (57_763, Some(12))
        );
        b.cuped.enabled = false;
        assert_eq!(plan(&b).unwrap().n_per_arm, 57_763, "off: no saving");
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
