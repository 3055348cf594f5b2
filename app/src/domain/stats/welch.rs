//! The fixed-horizon test (STATISTICS.md section 2): Welch's t on the relative lift, with the
//! delta-method variance, plus the same test on the absolute difference. Valid for one look at
//! the data, at the planned end; peeking daily inflates its false positives (see the A/A example).

use super::distributions::{t_sf, t_upper_quantile};
use super::no_result::NoResult;
use super::params::Alpha;
use super::summary::{deltas, ArmSummary};

/// A point estimate with its two-sided interval and the p-value of "no difference".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

impl Effect {
    pub fn contains(&self, value: f64) -> bool {
        self.ci_low <= value && value <= self.ci_high
    }
}

/// Welch's test on both scales. The API reports the relative p-value; the absolute one is kept
/// for callers that test the difference itself (it is symmetric when the arms swap).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedHorizon {
    pub relative: Effect,
    pub absolute: Effect,
    /// Welch-Satterthwaite degrees of freedom, shared by both scales.
    pub dof: f64,
}

pub fn welch(
    control: &ArmSummary,
    treatment: &ArmSummary,
    alpha: Alpha,
) -> Result<FixedHorizon, NoResult> {
    let d = deltas(control, treatment)?;
    let t_crit = t_upper_quantile(alpha.get() / 2.0, d.dof);
    Ok(FixedHorizon {
        relative: welch_effect(d.lift, d.var_lift, d.dof, t_crit),
        absolute: welch_effect(d.diff, d.var_diff, d.dof, t_crit),
        dof: d.dof,
    })
}

fn welch_effect(estimate: f64, variance: f64, dof: f64, t_crit: f64) -> Effect {
    let se = variance.sqrt();
    let t = estimate / se;
    Effect {
        estimate,
        ci_low: estimate - t_crit * se,
        ci_high: estimate + t_crit * se,
        // sf, not 1 - cdf: a p-value of 1e-20 should not round to 0.
        p_value: (2.0 * t_sf(t.abs(), dof)).min(1.0),
    }
}
