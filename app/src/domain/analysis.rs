//! From a brief and a reading of counts to the statistics engine's analysis, and the plain-language
//! sentence each comparison shows ("B converts 10.0% better than control, 95% CI +1.1% to +18.9%").

use std::collections::BTreeMap;

use super::brief::{Brief, MetricSpec};
use super::experiment::FieldError;
use super::metric::{Direction, Engine, MetricKind, MetricRole};
use super::results::{Counts, MetricCounts, Observed};
use super::stats::{
    self, AnalyzeRequest, AnalyzeResponse, ArmInput, ArmValues, Comparison, Evidence, MetricInput,
    MetricResult, RatioValues, StatsInputError,
};

/// The engine request a brief's pre-registered settings imply for these counts.
pub fn request_for(brief: &Brief, counts: &Counts) -> AnalyzeRequest {
    let arms = brief
        .arms
        .iter()
        .zip(&counts.arms)
        .map(|(planned, observed)| {
            ArmInput::new(observed.name.clone(), observed.users, planned.weight)
        })
        .collect();
    let specs = std::iter::once((&brief.primary, MetricRole::Primary))
        .chain(brief.secondary.iter().map(|m| (m, MetricRole::Secondary)));
    let metrics = specs
        .zip(&counts.metrics)
        .map(|((spec, role), observed)| {
            metric_input(spec, role, counts, observed, brief.cuped.enabled)
        })
        .collect();
    let mut request = AnalyzeRequest::new(arms, metrics);
    request.engine = brief.rule.engine;
    request.alpha = brief.alpha;
    request.correction = brief.rule.correction;
    request
}

/// The same request without the pre-period covariates: what the interval would have been
/// without CUPED, for "CUPED narrowed the interval by X%".
pub fn request_without_cuped(brief: &Brief, counts: &Counts) -> AnalyzeRequest {
    let mut plain = brief.clone();
    plain.cuped.enabled = false;
    request_for(&plain, counts)
}

fn metric_input(
    spec: &MetricSpec,
    role: MetricRole,
    counts: &Counts,
    observed: &MetricCounts,
    cuped: bool,
) -> MetricInput {
    // CUPED needs a covariate on every arm; a reading without them is analysed plainly.
    let covariates =
        (cuped && observed.covariates.len() == counts.arms.len()).then_some(&observed.covariates);
    let values: BTreeMap<String, ArmValues> = counts
        .arms
        .iter()
        .zip(&observed.values)
        .enumerate()
        .map(|(i, (arm, v))| {
            let covariate = covariates.map(|c| c[i]);
            let value = match *v {
                Observed::Proportion { conversions } => {
                    ArmValues::proportion(conversions).with_covariate(covariate)
                }
                Observed::Mean {
                    n,
                    sum,
                    sum_squares,
                } => ArmValues::mean(n, sum, sum_squares).with_covariate(covariate),
                Observed::Ratio {
                    numerator_sum,
                    numerator_sum_squares,
                    denominator_sum,
                    denominator_sum_squares,
                    cross_sum,
                } => ArmValues::Ratio(RatioValues {
                    n: None,
                    numerator_sum,
                    numerator_sum_squares,
                    denominator_sum,
                    denominator_sum_squares,
                    cross_sum,
                }),
            };
            (arm.name.clone(), value)
        })
        .collect();
    MetricInput {
        name: spec.name.clone(),
        role,
        kind: spec.statistic(),
        direction: spec.direction,
        values,
    }
}

/// Why a reading cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// The counts do not fit the brief (arms or metrics missing, more conversions than users).
    #[error("{0}")]
    Counts(FieldError),
    /// The engine refused an input (e.g. a weight or value out of range).
    #[error("{0}")]
    Stats(#[from] StatsInputError),
}

/// Validates the counts against the brief and runs the engine.
pub fn analyze(brief: &Brief, counts: &Counts) -> Result<AnalyzeResponse, AnalysisError> {
    if let Some(p) = counts.validate(brief).into_iter().next() {
        return Err(AnalysisError::Counts(p));
    }
    Ok(stats::analyze(&request_for(brief, counts))?)
}

/// "+10.0%" / "-3.2%".
pub fn signed_pct(v: f64) -> String {
    format!("{}{:.1}%", if v >= 0.0 { "+" } else { "" }, v * 100.0)
}

/// One sentence per comparison, direction-aware, in the words a product manager uses.
pub fn sentence(
    metric: &MetricResult,
    comparison: &Comparison,
    control: &str,
    alpha: f64,
    engine: Engine,
) -> String {
    let arm = &comparison.arm;
    let Some(e) = comparison.estimate() else {
        let why = comparison
            .no_result()
            .map(|r| r.to_string())
            .unwrap_or_default();
        return format!("No result for {arm} on {}: {why}.", metric.name);
    };
    let size = format!("{:.1}%", e.lift_relative.abs() * 100.0);
    let verb = match (metric.kind, e.lift_relative >= 0.0) {
        (MetricKind::Proportion, true) => format!(
            "converts {size} more often than {control} on {}",
            metric.name
        ),
        (MetricKind::Proportion, false) => format!(
            "converts {size} less often than {control} on {}",
            metric.name
        ),
        (MetricKind::Mean | MetricKind::Ratio, true) => {
            format!("has a {size} higher {} than {control}", metric.name)
        }
        (MetricKind::Mean | MetricKind::Ratio, false) => {
            format!("has a {size} lower {} than {control}", metric.name)
        }
    };
    let judgement = if e.lift_relative == 0.0 {
        ""
    } else if stats::is_better(metric.direction, e.lift_relative) {
        " (better)"
    } else {
        " (worse)"
    };
    let level = ((1.0 - alpha) * 100.0).round();
    let interval = match engine {
        Engine::Bayesian => "credible interval",
        Engine::Sequential => "always-valid CI",
        Engine::Frequentist => "CI",
    };
    let evidence = match e.evidence {
        Evidence::PValue { adjusted, .. } => {
            let significant = if adjusted < alpha {
                "significant"
            } else {
                "not significant"
            };
            format!("p = {} adjusted, {significant}", p_value(adjusted))
        }
        Evidence::Posterior { chance_to_win, .. } => {
            format!("{:.1}% chance to be better", chance_to_win * 100.0)
        }
    };
    let direction_note = match metric.direction {
        Direction::Decrease => " (lower is better)",
        Direction::Increase => "",
    };
    format!(
        "{arm} {verb}{judgement}, {level}% {interval} {} to {}; {evidence}{direction_note}.",
        signed_pct(e.ci_low),
        signed_pct(e.ci_high)
    )
}

/// p-values as people read them: "0.0123", "< 0.0001".
pub fn p_value(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::complete_brief;
    use crate::domain::results::{ArmCount, MetricCounts};

    pub(crate) fn counts(control: u64, treatment: u64, conv_c: u64, conv_t: u64) -> Counts {
        Counts {
            segments: Vec::new(),
            multi_arm_users: 0,
            incomplete_windows: 0,
            arms: vec![
                ArmCount {
                    name: "control".into(),
                    users: control,
                },
                ArmCount {
                    name: "one_page".into(),
                    users: treatment,
                },
            ],
            metrics: vec![
                MetricCounts {
                    covariates: Vec::new(),
                    metric: "purchase".into(),
                    values: vec![
                        Observed::Proportion {
                            conversions: conv_c,
                        },
                        Observed::Proportion {
                            conversions: conv_t,
                        },
                    ],
                },
                MetricCounts {
                    covariates: Vec::new(),
                    metric: "revenue".into(),
                    values: vec![
                        Observed::from_mean_sd(control, 2.5, 12.0),
                        Observed::from_mean_sd(treatment, 2.5, 12.0),
                    ],
                },
                MetricCounts {
                    covariates: Vec::new(),
                    metric: "refunds".into(),
                    values: vec![
                        Observed::Proportion {
                            conversions: control / 100,
                        },
                        Observed::Proportion {
                            conversions: treatment / 100,
                        },
                    ],
                },
            ],
        }
    }

    #[test]
    fn the_sentence_reads_like_the_issue_example() {
        let brief = complete_brief();
        let analysis = analyze(&brief, &counts(10_000, 10_000, 1_000, 1_100)).unwrap();
        let m = &analysis.metrics[0];
        let s = sentence(m, &m.comparisons[0], "control", 0.05, Engine::Frequentist);
        assert!(
            s.starts_with(
                "one_page converts 10.0% more often than control on purchase (better), 95% CI +"
            ),
            "{s}"
        );
        assert!(s.contains("significant"), "{s}");
    }

    #[test]
    fn a_zero_conversion_control_says_why_there_is_no_result() {
        let analysis = analyze(&complete_brief(), &counts(1_000, 1_000, 0, 10)).unwrap();
        let m = &analysis.metrics[0];
        let s = sentence(m, &m.comparisons[0], "control", 0.05, Engine::Frequentist);
        assert!(s.starts_with("No result for one_page on purchase: "), "{s}");
        assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
    }

    #[test]
    fn counts_that_do_not_fit_the_brief_are_refused_in_words() {
        let err = analyze(&complete_brief(), &counts(100, 100, 10, 120)).unwrap_err();
        assert!(matches!(err, AnalysisError::Counts(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains("120 conversions is more than the arm's 100 users"),
            "{err}"
        );
    }
}
