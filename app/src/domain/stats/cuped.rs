//! Section 9: CUPED (gbstats 0.8.0's `RegressionAdjustedStatistic`) and the pre-period check,
//! per comparison. Theta is pooled over exactly the two arms compared and never stored on an
//! arm (implementer notes 2 and 3), so a 3-arm test gets one theta per treatment.

use super::params::Alpha;
use super::response::{Cuped, PrePeriod};
use super::summary::ArmSummary;
use super::validate::CupedArm;
use super::welch::welch;
use crate::domain::metric::MetricKind;

/// The control and treatment adjusted with the comparison's theta, and what to report of it.
pub(crate) fn adjust(
    kind: MetricKind,
    (a, a_in): (&ArmSummary, &CupedArm),
    (b, b_in): (&ArmSummary, &CupedArm),
    alpha: Alpha,
) -> (ArmSummary, ArmSummary, Cuped) {
    let theta = theta(kind, (a, a_in), (b, b_in));
    let pre_period = pre_period(a, a_in, b, b_in, alpha);
    let adjusted = |s: &ArmSummary, arm: &CupedArm| {
        let n = s.n;
        let x = arm.covariate;
        let xbar = if n > 0.0 { x.sum / n } else { 0.0 };
        let v_x = match kind {
            MetricKind::Proportion => xbar * (1.0 - xbar),
            _ if n > 1.0 => (x.sum_squares - x.sum * x.sum / n) / (n - 1.0),
            _ => 0.0,
        };
        let c_xy = if n > 1.0 {
            (x.cross_sum - arm.sum * x.sum / n) / (n - 1.0)
        } else {
            0.0
        };
        let variance = if n > 1.0 {
            s.variance + theta * theta * v_x - 2.0 * theta * c_xy
        } else {
            0.0
        };
        ArmSummary {
            adjusted_mean: Some(s.mean - theta * xbar),
            variance,
            ..*s
        }
    };
    let cuped = Cuped { theta, pre_period };
    (adjusted(a, a_in), adjusted(b, b_in), cuped)
}

/// C / V_x over the two arms pooled; 0 when either pooled variance is 0 (the fall-back to the
/// unadjusted analysis).
fn theta(
    kind: MetricKind,
    (a, a_in): (&ArmSummary, &CupedArm),
    (b, b_in): (&ArmSummary, &CupedArm),
) -> f64 {
    let n = a.n + b.n;
    if n <= 1.0 {
        return 0.0;
    }
    let s_y = a_in.sum + b_in.sum;
    let s_x = a_in.covariate.sum + b_in.covariate.sum;
    let (v_y, v_x) = match kind {
        MetricKind::Proportion => {
            let (r, q) = (s_y / n, s_x / n);
            (r * (1.0 - r), q * (1.0 - q))
        }
        _ => (
            (a_in.sum_squares + b_in.sum_squares - s_y * s_y / n) / (n - 1.0),
            (a_in.covariate.sum_squares + b_in.covariate.sum_squares - s_x * s_x / n) / (n - 1.0),
        ),
    };
    if v_x == 0.0 || v_y == 0.0 {
        return 0.0;
    }
    let c = (a_in.covariate.cross_sum + b_in.covariate.cross_sum - s_y * s_x / n) / (n - 1.0);
    c / v_x
}

/// Section 2's fixed-horizon test on the covariate alone, as a mean metric, in every engine.
fn pre_period(
    a: &ArmSummary,
    a_in: &CupedArm,
    b: &ArmSummary,
    b_in: &CupedArm,
    alpha: Alpha,
) -> PrePeriod {
    let covariate = |s: &ArmSummary, arm: &CupedArm| {
        ArmSummary::mean(s.n, arm.covariate.sum, arm.covariate.sum_squares)
    };
    match welch(&covariate(a, a_in), &covariate(b, b_in), alpha) {
        Ok(f) => PrePeriod {
            lift_relative: Some(f.relative.estimate),
            p_value: Some(f.relative.p_value),
        },
        Err(_) => PrePeriod {
            lift_relative: None,
            p_value: None,
        },
    }
}
