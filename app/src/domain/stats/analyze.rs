//! `analyze`: the whole section-7 analysis of one experiment reading. Checks the request, runs
//! the SRM test, compares every treatment with the control on every metric with the chosen
//! engine, then corrects the p-values within the primary and within the secondary family.

use super::bayesian::bayesian;
use super::correction::adjust;
use super::cuped::adjust as cuped_adjust;
use super::error::StatsInputError;
use super::no_result::NoResult;
use super::request::AnalyzeRequest;
use super::response::{AnalyzeResponse, ArmStats, Comparison, Estimate, Evidence, MetricResult};
use super::sequential::sequential;
use super::srm::srm;
use super::summary::ArmSummary;
use super::validate::{check, Checked};
use super::welch::{welch, Effect};
use crate::domain::metric::{Direction, Engine, MetricRole};

/// Bad input is an error (the HTTP 400); data that merely cannot give a result (a 0% control, an
/// empty arm) is a comparison whose outcome says why.
pub fn analyze(req: &AnalyzeRequest) -> Result<AnalyzeResponse, StatsInputError> {
    let checked = check(req)?;
    let srm = srm(&checked.users, &checked.weights, checked.srm_threshold);
    let mut metrics: Vec<MetricResult> = checked
        .metrics
        .iter()
        .map(|metric| {
            let (control, _) = metric.arms[0];
            MetricResult {
                name: metric.input.name.clone(),
                role: metric.input.role,
                kind: metric.input.kind,
                direction: metric.input.direction,
                arms: req
                    .arms
                    .iter()
                    .zip(&metric.arms)
                    .map(|(arm, (summary, n))| ArmStats {
                        name: arm.name.clone(),
                        n: *n,
                        mean: summary.shows_mean().then_some(summary.mean),
                        variance: summary.shows_mean().then_some(summary.variance),
                    })
                    .collect(),
                comparisons: req.arms[1..]
                    .iter()
                    .zip(&metric.arms[1..])
                    .enumerate()
                    .map(|(i, (arm, (treatment, _)))| {
                        // CUPED adjusts both arms per comparison, with that pair's theta.
                        let (control, treatment, cuped) = match &metric.cuped {
                            Some(inputs) => {
                                let (a, b, cuped) = cuped_adjust(
                                    metric.input.kind,
                                    (&control, &inputs[0]),
                                    (treatment, &inputs[i + 1]),
                                    checked.alpha,
                                );
                                (a, b, Some(cuped))
                            }
                            None => (control, *treatment, None),
                        };
                        Comparison {
                            arm: arm.name.clone(),
                            outcome: compare(
                                req.engine,
                                &checked,
                                &control,
                                &treatment,
                                metric.input.direction,
                            ),
                            cuped,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    for role in [MetricRole::Primary, MetricRole::Secondary] {
        correct_family(&mut metrics, role, req);
    }
    Ok(AnalyzeResponse { srm, metrics })
}

/// One comparison with the chosen engine; the adjusted p-value is filled in later, per family.
fn compare(
    engine: Engine,
    checked: &Checked<'_>,
    control: &ArmSummary,
    treatment: &ArmSummary,
    direction: Direction,
) -> Result<Estimate, NoResult> {
    let alpha = checked.alpha;
    Ok(match engine {
        Engine::Frequentist => {
            let f = welch(control, treatment, alpha)?;
            with_p_value(f.relative, f.absolute)
        }
        Engine::Sequential => {
            let s = sequential(control, treatment, alpha, checked.tuning)?;
            with_p_value(s.relative, s.absolute)
        }
        Engine::Bayesian => {
            let b = bayesian(control, treatment, alpha, checked.prior, direction)?;
            Estimate {
                lift_relative: b.lift,
                ci_low: b.ci_low,
                ci_high: b.ci_high,
                diff_absolute: b.diff_absolute,
                diff_ci: None,
                evidence: Evidence::Posterior {
                    chance_to_win: b.chance_to_win,
                    risk_control: b.risk_control,
                    risk_treatment: b.risk_treatment,
                },
            }
        }
    })
}

fn with_p_value(relative: Effect, absolute: Effect) -> Estimate {
    Estimate {
        lift_relative: relative.estimate,
        ci_low: relative.ci_low,
        ci_high: relative.ci_high,
        diff_absolute: absolute.estimate,
        diff_ci: Some((absolute.ci_low, absolute.ci_high)),
        evidence: Evidence::PValue {
            raw: relative.p_value,
            adjusted: relative.p_value,
        },
    }
}

/// Section 6: one family is every comparison of every metric with this role.
fn correct_family(metrics: &mut [MetricResult], role: MetricRole, req: &AnalyzeRequest) {
    let raw: Vec<Option<f64>> = metrics
        .iter()
        .filter(|m| m.role == role)
        .flat_map(|m| m.comparisons.iter())
        .map(|c| c.estimate().and_then(Estimate::p_value))
        .collect();
    let adjusted = adjust(&raw, req.correction);
    let slots = metrics
        .iter_mut()
        .filter(|m| m.role == role)
        .flat_map(|m| m.comparisons.iter_mut());
    for (comparison, new) in slots.zip(adjusted) {
        if let (Ok(estimate), Some(new)) = (&mut comparison.outcome, new) {
            if let Evidence::PValue { adjusted, .. } = &mut estimate.evidence {
                *adjusted = new;
            }
        }
    }
}
