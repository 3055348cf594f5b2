//! Sample size and duration (STATISTICS.md section 1), and the inverse question the brief asks:
//! with this many users, what power does the plan really have? The popular "~16,000 per arm"
//! for +5% on a 10% baseline gives 31% power; the formula needs 57,763.

use serde::{Deserialize, Serialize};

use super::distributions::{normal_cdf, normal_quantile, normal_upper_quantile};
use super::error::{InputProblem, StatsInputError};
use crate::domain::metric::MetricKind;

/// What the metric looks like today, before the change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SampleSizeBaseline {
    Proportion { baseline_rate: f64 },
    Mean { baseline_mean: f64, sd: f64 },
}

impl SampleSizeBaseline {
    pub fn kind(&self) -> MetricKind {
        match self {
            SampleSizeBaseline::Proportion { .. } => MetricKind::Proportion,
            SampleSizeBaseline::Mean { .. } => MetricKind::Mean,
        }
    }
}

/// `POST /api/v1/stats/sample-size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleSizeRequest {
    #[serde(flatten)]
    pub baseline: SampleSizeBaseline,
    /// The smallest relative change worth detecting (+0.05 = +5%; negative for a decrease).
    pub mde_relative: f64,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default = "default_power")]
    pub power: f64,
    #[serde(default = "default_arms")]
    pub arms: u32,
    /// Split alpha over the k-1 comparisons with the control.
    #[serde(default)]
    pub bonferroni: bool,
    /// Users entering the test per day, over all arms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_traffic: Option<f64>,
}

fn default_alpha() -> f64 {
    0.05
}
fn default_power() -> f64 {
    0.8
}
fn default_arms() -> u32 {
    2
}

impl SampleSizeRequest {
    /// A two-arm plan at the API defaults (alpha 0.05, power 0.8, no Bonferroni, no traffic).
    pub fn new(baseline: SampleSizeBaseline, mde_relative: f64) -> Self {
        Self {
            baseline,
            mde_relative,
            alpha: default_alpha(),
            power: default_power(),
            arms: default_arms(),
            bonferroni: false,
            daily_traffic: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleSizeResponse {
    pub n_per_arm: u64,
    pub total_users: u64,
    /// Only when daily_traffic was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_needed: Option<u64>,
    /// Whole weeks, at least one, so every weekday is sampled equally often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_days: Option<u64>,
}

/// Beyond 2^53 an f64 no longer holds every integer, so a count there would be a guess.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

pub fn sample_size(req: &SampleSizeRequest) -> Result<SampleSizeResponse, StatsInputError> {
    let plan = Plan::parse(req)?;
    let n_exact = plan.n_exact();
    if n_exact.is_nan() || n_exact > MAX_EXACT {
        return Err(StatsInputError::new(
            "mde_relative",
            InputProblem::EffectTooSmall(req.mde_relative),
        ));
    }
    // At least one user: an effect huge next to its sd makes the formula underflow to 0.
    let n_per_arm = (n_exact.ceil() as u64).max(1);
    let total_users = n_per_arm.checked_mul(u64::from(req.arms)).ok_or_else(|| {
        StatsInputError::new("arms", InputProblem::TooManyArms(i64::from(req.arms)))
    })?;
    let days_needed = match req.daily_traffic {
        None => None,
        Some(traffic) => {
            let days = (total_users as f64 / traffic).ceil();
            if days > MAX_EXACT {
                return Err(StatsInputError::new(
                    "daily_traffic",
                    InputProblem::TrafficTooSmall(traffic),
                ));
            }
            Some(days as u64)
        }
    };
    Ok(SampleSizeResponse {
        n_per_arm,
        total_users,
        days_needed,
        recommended_days: days_needed.map(|d| (d.div_ceil(7) * 7).max(7)),
    })
}

/// The power a plan really gets with `n_per_arm` users in each arm. Meant for requests that
/// [`sample_size`] accepts; for one it rejects there is no power to speak of and the answer is
/// NaN (use [`try_achieved_power`] to get the reason instead).
pub fn achieved_power(req: &SampleSizeRequest, n_per_arm: u64) -> f64 {
    try_achieved_power(req, n_per_arm).unwrap_or(f64::NAN)
}

/// [`achieved_power`], or why the request cannot be planned.
pub fn try_achieved_power(req: &SampleSizeRequest, n_per_arm: u64) -> Result<f64, StatsInputError> {
    Ok(Plan::parse(req)?.power_at(n_per_arm as f64))
}

/// A request that passed validation, in the terms of the formulas.
struct Plan {
    effect: PlannedEffect,
    /// z_{1-a'/2}, with a' = alpha/(k-1) under Bonferroni.
    z_alpha: f64,
    z_power: f64,
}

enum PlannedEffect {
    Rates { p1: f64, p2: f64 },
    Means { delta: f64, sd: f64 },
}

impl Plan {
    fn parse(req: &SampleSizeRequest) -> Result<Self, StatsInputError> {
        let probability = |field: &str, v: f64| match v > 0.0 && v < 1.0 {
            true => Ok(v),
            false => Err(StatsInputError::new(
                field,
                InputProblem::NotAProbability(v),
            )),
        };
        let m = req.mde_relative;
        if !m.is_finite() {
            return Err(StatsInputError::new(
                "mde_relative",
                InputProblem::NotFinite(m),
            ));
        }
        if m == 0.0 {
            return Err(StatsInputError::new("mde_relative", InputProblem::Zero));
        }
        let effect = match req.baseline {
            SampleSizeBaseline::Proportion { baseline_rate } => {
                let p1 = probability("baseline_rate", baseline_rate)?;
                let p2 = p1 * (1.0 + m);
                if !(p2 > 0.0 && p2 < 1.0) {
                    return Err(StatsInputError::new(
                        "mde_relative",
                        InputProblem::TreatedRateOutOfRange(p2),
                    ));
                }
                PlannedEffect::Rates { p1, p2 }
            }
            SampleSizeBaseline::Mean { baseline_mean, sd } => {
                if !baseline_mean.is_finite() {
                    return Err(StatsInputError::new(
                        "baseline_mean",
                        InputProblem::NotFinite(baseline_mean),
                    ));
                }
                if baseline_mean == 0.0 {
                    return Err(StatsInputError::new("baseline_mean", InputProblem::Zero));
                }
                if !(sd > 0.0 && sd.is_finite()) {
                    return Err(StatsInputError::new("sd", InputProblem::NotPositive(sd)));
                }
                PlannedEffect::Means {
                    delta: baseline_mean * m,
                    sd,
                }
            }
        };
        let alpha = probability("alpha", req.alpha)?;
        let power = probability("power", req.power)?;
        if req.arms < 2 {
            return Err(StatsInputError::new(
                "arms",
                InputProblem::TooFew {
                    what: "arms (a control and a treatment)",
                    got: i64::from(req.arms),
                },
            ));
        }
        if let Some(traffic) = req.daily_traffic {
            if !(traffic > 0.0 && traffic.is_finite()) {
                return Err(StatsInputError::new(
                    "daily_traffic",
                    InputProblem::NotPositive(traffic),
                ));
            }
        }
        let per_comparison = if req.bonferroni {
            alpha / f64::from(req.arms - 1)
        } else {
            alpha
        };
        Ok(Plan {
            effect,
            z_alpha: normal_upper_quantile(per_comparison / 2.0),
            z_power: normal_quantile(power),
        })
    }

    /// The unrounded users per arm.
    fn n_exact(&self) -> f64 {
        let (za, zb) = (self.z_alpha, self.z_power);
        match self.effect {
            PlannedEffect::Rates { p1, p2 } => {
                let pbar = (p1 + p2) / 2.0;
                let spread = (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
                (za * (2.0 * pbar * (1.0 - pbar)).sqrt() + zb * spread).powi(2) / (p2 - p1).powi(2)
            }
            PlannedEffect::Means { delta, sd } => {
                2.0 * (za + zb).powi(2) * sd * sd / (delta * delta)
            }
        }
    }

    /// The same formula solved for z_power.
    fn power_at(&self, n: f64) -> f64 {
        let za = self.z_alpha;
        match self.effect {
            PlannedEffect::Rates { p1, p2 } => {
                let pbar = (p1 + p2) / 2.0;
                let spread = (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
                normal_cdf(
                    ((p2 - p1).abs() * n.sqrt() - za * (2.0 * pbar * (1.0 - pbar)).sqrt()) / spread,
                )
            }
            PlannedEffect::Means { delta, sd } => {
                normal_cdf(delta.abs() * (n / 2.0).sqrt() / sd - za)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `sample_size` fuzz target: an sd of 1e-322 made n underflow to 0, and the
    /// API answered a plan of 0 users per arm.
    #[test]
    fn a_plan_has_at_least_one_user_per_arm_even_when_the_formula_underflows() {
        let req = SampleSizeRequest::new(
            SampleSizeBaseline::Mean {
                baseline_mean: 72.5,
                sd: 105e-324,
            },
            -6.02,
        );
        let plan = sample_size(&req).expect("a valid request");
        assert_eq!((plan.n_per_arm, plan.total_users), (1, 2));
        assert!(achieved_power(&req, plan.n_per_arm) >= req.power);
    }
}
