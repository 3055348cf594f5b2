//! The Bayesian engine (STATISTICS.md section 4): gbstats' effect model. The relative lift gets a
//! normal posterior, from a flat prior (the data alone) or a proper normal prior; from it come the
//! chance to win and the expected loss ("risk") of each decision.

use super::distributions::{normal_cdf, normal_pdf, normal_upper_quantile};
use super::no_result::NoResult;
use super::params::{Alpha, Prior};
use super::summary::{deltas, ArmSummary};
use crate::domain::metric::Direction;

/// The posterior of the relative lift X ~ N(lift, sd^2) and what it implies for the decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bayesian {
    /// Posterior mean of the relative lift (the observed lift under a flat prior).
    pub lift: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// Credible interval lift +- z_{1-alpha/2} * sd.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Probability the treatment is better, in the metric's own direction.
    pub chance_to_win: f64,
    /// Expected relative loss of keeping the control if the treatment is in fact better.
    pub risk_control: f64,
    /// Expected relative loss of shipping the treatment if it is in fact worse.
    pub risk_treatment: f64,
    /// The observed absolute difference D (no prior acts on it).
    pub diff_absolute: f64,
}

pub fn bayesian(
    control: &ArmSummary,
    treatment: &ArmSummary,
    alpha: Alpha,
    prior: Option<Prior>,
    direction: Direction,
) -> Result<Bayesian, NoResult> {
    let d = deltas(control, treatment)?;
    let (mu, var) = match prior {
        None => (d.lift, d.var_lift),
        Some(p) => {
            let tau2 = p.stddev() * p.stddev();
            let var = 1.0 / (1.0 / d.var_lift + 1.0 / tau2);
            (var * (d.lift / d.var_lift + p.mean() / tau2), var)
        }
    };
    let s = var.sqrt();
    let x = mu / s;
    // Expected shortfall of each choice; clamped because, far in a tail, the two terms cancel
    // to a rounding error that could dip below zero.
    let loss_if_kept = (mu * normal_cdf(x) + s * normal_pdf(x)).max(0.0);
    let loss_if_shipped = (s * normal_pdf(x) - mu * normal_cdf(-x)).max(0.0);
    let (chance_to_win, risk_control, risk_treatment) = match direction {
        Direction::Increase => (normal_cdf(x), loss_if_kept, loss_if_shipped),
        Direction::Decrease => (normal_cdf(-x), loss_if_shipped, loss_if_kept),
    };
    let z = normal_upper_quantile(alpha.get() / 2.0);
    Ok(Bayesian {
        lift: mu,
        sd: s,
        ci_low: mu - z * s,
        ci_high: mu + z * s,
        chance_to_win,
        risk_control,
        risk_treatment,
        diff_absolute: d.diff,
    })
}
