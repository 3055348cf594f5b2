//! What the pre-exposure period says about a reading: were the arms already different before
//! the test (the retro A/A check), and how much CUPED narrowed each interval. Computed from the
//! covariates a pull (or a CSV) brings; a reading without them has no check.

use serde::{Deserialize, Serialize};

use super::analysis::{request_for, request_without_cuped};
use super::brief::Brief;
use super::metric::MetricRole;
use super::results::Counts;
use super::stats::{self, AnalyzeResponse};

/// Below this p-value on the primary metric's pre-period the arms differed before the test:
/// "pre-existing imbalance", the same bar as the SRM check.
pub const IMBALANCE_P: f64 = 0.001;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PrePeriodCheck {
    /// The lookback the covariates cover, in days (from the brief).
    pub lookback_days: u32,
    /// Whether the analysis used the covariates (CUPED on); the check runs either way.
    pub cuped: bool,
    pub metrics: Vec<MetricPrePeriod>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MetricPrePeriod {
    pub metric: String,
    pub role: MetricRole,
    /// One per treatment, against the control.
    pub arms: Vec<ArmPrePeriod>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArmPrePeriod {
    pub arm: String,
    /// The relative difference between the arms before exposure, and its p-value (None when
    /// the pre-period has no variance to test, e.g. nobody had the event before).
    pub lift_relative: Option<f64>,
    pub p_value: Option<f64>,
    /// CUPED's theta for this comparison.
    pub theta: f64,
    /// With CUPED on: 1 - (adjusted interval width / unadjusted width); 0.23 = 23% narrower.
    pub narrowed: Option<f64>,
}

impl ArmPrePeriod {
    pub fn imbalanced(&self) -> bool {
        self.p_value.is_some_and(|p| p < IMBALANCE_P)
    }
}

impl PrePeriodCheck {
    /// The primary metric's comparisons that were already different before exposure.
    pub fn primary_imbalances(&self) -> impl Iterator<Item = &ArmPrePeriod> {
        self.metrics
            .iter()
            .filter(|m| m.role == MetricRole::Primary)
            .flat_map(|m| m.arms.iter())
            .filter(|a| a.imbalanced())
    }

    pub fn primary(&self) -> Option<&MetricPrePeriod> {
        self.metrics.iter().find(|m| m.role == MetricRole::Primary)
    }
}

/// The check for a reading, or None when it carries no pre-period covariates (or cannot be
/// analysed at all: the analysis itself reports why).
pub fn check(brief: &Brief, counts: &Counts) -> Option<PrePeriodCheck> {
    if !counts.metrics.iter().any(|m| !m.covariates.is_empty()) {
        return None;
    }
    // The covariates are analysed whether or not CUPED adjusts the decision's numbers.
    let mut with = brief.clone();
    with.cuped.enabled = true;
    let adjusted = stats::analyze(&request_for(&with, counts)).ok()?;
    let plain = brief
        .cuped
        .enabled
        .then(|| stats::analyze(&request_without_cuped(brief, counts)).ok())
        .flatten();
    let metrics = adjusted
        .metrics
        .iter()
        .filter_map(|m| {
            let arms: Vec<ArmPrePeriod> = m
                .comparisons
                .iter()
                .filter_map(|c| {
                    let cuped = c.cuped?;
                    Some(ArmPrePeriod {
                        arm: c.arm.clone(),
                        lift_relative: cuped.pre_period.lift_relative,
                        p_value: cuped.pre_period.p_value,
                        theta: cuped.theta,
                        narrowed: plain.as_ref().and_then(|p| narrowing(p, &m.name, c)),
                    })
                })
                .collect();
            (!arms.is_empty()).then(|| MetricPrePeriod {
                metric: m.name.clone(),
                role: m.role,
                arms,
            })
        })
        .collect();
    Some(PrePeriodCheck {
        lookback_days: brief.cuped.lookback_days,
        cuped: brief.cuped.enabled,
        metrics,
    })
}

/// How much narrower the adjusted interval of `adjusted` is than the same comparison's in the
/// unadjusted analysis.
fn narrowing(plain: &AnalyzeResponse, metric: &str, adjusted: &stats::Comparison) -> Option<f64> {
    let before = plain
        .metrics
        .iter()
        .find(|m| m.name == metric)?
        .comparisons
        .iter()
        .find(|c| c.arm == adjusted.arm)?
        .estimate()?;
    let after = adjusted.estimate()?;
    let (w0, w1) = (before.ci_high - before.ci_low, after.ci_high - after.ci_low);
    (w0 > 0.0 && w0.is_finite() && w1.is_finite()).then(|| 1.0 - w1 / w0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::complete_brief;
    use crate::domain::results::{ArmCount, MetricCounts, Observed};
    use crate::domain::stats::CovariateInput;

    /// Purchase (primary) with a pre-period that predicts it well: most buyers bought before.
    fn counts(with_covariates: bool) -> Counts {
        let arm = |name: &str| ArmCount {
            name: name.into(),
            users: 10_000,
        };
        let proportion = |c| Observed::Proportion { conversions: c };
        let mut purchase =
            MetricCounts::new("purchase", vec![proportion(1_000), proportion(1_100)]);
        if with_covariates {
            purchase.covariates = vec![
                CovariateInput {
                    sum: 1_200.0,
                    sum_squares: 1_200.0,
                    cross_sum: 800.0,
                },
                CovariateInput {
                    sum: 1_210.0,
                    sum_squares: 1_210.0,
                    cross_sum: 880.0,
                },
            ];
        }
        Counts {
            arms: vec![arm("control"), arm("one_page")],
            metrics: vec![
                purchase,
                MetricCounts::new(
                    "revenue",
                    vec![
                        Observed::from_mean_sd(10_000, 2.5, 12.0),
                        Observed::from_mean_sd(10_000, 2.5, 12.0),
                    ],
                ),
                MetricCounts::new("refunds", vec![proportion(100), proportion(100)]),
            ],
            ..Counts::default()
        }
    }

    #[test]
    fn cuped_reports_how_much_narrower_the_interval_got_and_the_retro_check() {
        let mut brief = complete_brief();
        brief.cuped.enabled = true;
        let check = check(&brief, &counts(true)).unwrap();
        assert_eq!(check.metrics.len(), 1, "only purchase carries covariates");
        let a = &check.metrics[0].arms[0];
        let narrowed = a.narrowed.unwrap();
        // rho is about 0.6 here: the adjusted interval is roughly sqrt(1 - rho^2) as wide.
        assert!(narrowed > 0.15 && narrowed < 0.5, "{narrowed}");
        assert!(a.theta > 0.0);
        let p = a.p_value.unwrap();
        assert!(p > IMBALANCE_P && !a.imbalanced(), "{p}");
        assert!((a.lift_relative.unwrap() - (1_210.0 / 1_200.0 - 1.0)).abs() < 1e-9);
        assert_eq!(check.primary_imbalances().count(), 0);
    }

    #[test]
    fn with_cuped_off_the_check_still_runs_but_nothing_is_narrowed() {
        let brief = complete_brief();
        let check = check(&brief, &counts(true)).unwrap();
        assert!(!check.cuped);
        assert_eq!(check.metrics[0].arms[0].narrowed, None);
        assert!(check.metrics[0].arms[0].p_value.is_some());
    }

    #[test]
    fn a_reading_without_covariates_has_no_check() {
        assert_eq!(check(&complete_brief(), &counts(false)), None);
    }
}
