//! Turns an [`AnalyzeRequest`] into checked, typed inputs, once, at the boundary. Every rejection
//! names its field as a path into the request (`metrics[0].values.B.conversions`), because the
//! HTTP layer shows the message to the client as is.

use super::error::{InputProblem, StatsInputError};
use super::params::{Alpha, Prior, Tuning};
use super::request::{
    AnalyzeRequest, ArmValues, CovariateInput, MeanValues, MetricInput, ProportionValues,
    RatioValues,
};
use super::summary::ArmSummary;
use crate::domain::metric::MetricKind;

/// The request after validation.
pub(crate) struct Checked<'a> {
    pub alpha: Alpha,
    pub tuning: Tuning,
    pub prior: Option<Prior>,
    pub srm_threshold: Alpha,
    pub users: Vec<u64>,
    pub weights: Vec<f64>,
    pub metrics: Vec<CheckedMetric<'a>>,
}

pub(crate) struct CheckedMetric<'a> {
    pub input: &'a MetricInput,
    /// In arm order, the control first: the summary and the metric's n as an integer.
    pub arms: Vec<(ArmSummary, u64)>,
    /// Section 9's inputs, in arm order, when every arm carries a covariate.
    pub cuped: Option<Vec<CupedArm>>,
}

/// One arm's post-period sums (S_y, and Q_y for a mean metric) and its covariate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CupedArm {
    pub sum: f64,
    pub sum_squares: f64,
    pub covariate: CovariateInput,
}

/// Bounds on one request: an experiment has a handful of arms and a few dozen metrics; far more
/// is a mistake or an attempt to make the server work for nothing.
pub const MAX_ARMS: usize = 20;
pub const MAX_METRICS: usize = 100;

pub(crate) fn check(req: &AnalyzeRequest) -> Result<Checked<'_>, StatsInputError> {
    let alpha = Alpha::new(req.alpha)
        .ok_or_else(|| StatsInputError::new("alpha", InputProblem::NotAProbability(req.alpha)))?;
    let tuning = Tuning::new(req.sequential_tuning).ok_or_else(|| {
        StatsInputError::new(
            "sequential_tuning",
            InputProblem::NotPositive(req.sequential_tuning),
        )
    })?;
    let srm_threshold = Alpha::new(req.srm_threshold).ok_or_else(|| {
        StatsInputError::new(
            "srm_threshold",
            InputProblem::NotAProbability(req.srm_threshold),
        )
    })?;
    let prior = match req.prior {
        None => None,
        Some(p) if !p.mean.is_finite() => {
            return Err(StatsInputError::new(
                "prior.mean",
                InputProblem::NotFinite(p.mean),
            ))
        }
        Some(p) => Some(Prior::new(p.mean, p.stddev).ok_or_else(|| {
            StatsInputError::new("prior.stddev", InputProblem::NotPositive(p.stddev))
        })?),
    };
    if req.arms.len() < 2 {
        let got = i64::try_from(req.arms.len()).unwrap_or(i64::MAX);
        return Err(StatsInputError::new(
            "arms",
            InputProblem::TooFew {
                what: "arms (a control and a treatment)",
                got,
            },
        ));
    }
    let too_many = |field: &str, what, limit, got| {
        StatsInputError::new(field, InputProblem::TooMany { what, limit, got })
    };
    if req.arms.len() > MAX_ARMS {
        return Err(too_many("arms", "arms", MAX_ARMS, req.arms.len()));
    }
    if req.metrics.len() > MAX_METRICS {
        return Err(too_many(
            "metrics",
            "metrics",
            MAX_METRICS,
            req.metrics.len(),
        ));
    }
    let mut users = Vec::with_capacity(req.arms.len());
    let mut weights = Vec::with_capacity(req.arms.len());
    let mut names = std::collections::HashSet::with_capacity(req.arms.len());
    for (i, arm) in req.arms.iter().enumerate() {
        if arm.name.is_empty() {
            return Err(StatsInputError::new(
                format!("arms[{i}].name"),
                InputProblem::Empty,
            ));
        }
        if !names.insert(arm.name.as_str()) {
            return Err(StatsInputError::new(
                format!("arms[{i}].name"),
                InputProblem::DuplicateArm(arm.name.clone()),
            ));
        }
        users.push(count(arm.users, || format!("arms[{i}].users"))?);
        if !(arm.weight > 0.0 && arm.weight.is_finite()) {
            return Err(StatsInputError::new(
                format!("arms[{i}].weight"),
                InputProblem::NotPositive(arm.weight),
            ));
        }
        weights.push(arm.weight);
    }
    let metrics = req
        .metrics
        .iter()
        .enumerate()
        .map(|(i, metric)| check_metric(req, i, metric, &users))
        .collect::<Result<_, _>>()?;
    Ok(Checked {
        alpha,
        tuning,
        prior,
        srm_threshold,
        users,
        weights,
        metrics,
    })
}

fn check_metric<'a>(
    req: &AnalyzeRequest,
    i: usize,
    metric: &'a MetricInput,
    users: &[u64],
) -> Result<CheckedMetric<'a>, StatsInputError> {
    let at = |arm: &str| format!("metrics[{i}].values.{arm}");
    if let Some(unknown) = metric
        .values
        .keys()
        .find(|k| !req.arms.iter().any(|a| &a.name == *k))
    {
        return Err(StatsInputError::new(
            at(unknown),
            InputProblem::UnknownArm(unknown.clone()),
        ));
    }
    let arms = req
        .arms
        .iter()
        .zip(users)
        .map(|(arm, &arm_users)| {
            let path = at(&arm.name);
            let values = metric.values.get(&arm.name).ok_or_else(|| {
                StatsInputError::new(path.clone(), InputProblem::MissingArm(arm.name.clone()))
            })?;
            match (metric.kind, values) {
                (MetricKind::Proportion, ArmValues::Proportion(v)) => {
                    proportion(&path, v, arm_users)
                }
                (MetricKind::Mean, ArmValues::Mean(v)) => mean(&path, v),
                (MetricKind::Ratio, ArmValues::Ratio(v)) => ratio(&path, v, arm_users),
                (MetricKind::Ratio, _) => Err(StatsInputError::new(
                    path,
                    InputProblem::WrongShape {
                        expected: "ratio",
                        shape: "{\"numerator_sum\", \"numerator_sum_squares\", \"denominator_sum\", \"denominator_sum_squares\", \"cross_sum\"} (and optionally \"n\"), with no covariate",
                    },
                )),
                (MetricKind::Proportion, ArmValues::Ratio(_)) => Err(StatsInputError::new(
                    path,
                    InputProblem::WrongShape {
                        expected: "proportion",
                        shape: "{\"conversions\"} (and optionally \"n\")",
                    },
                )),
                (MetricKind::Mean, ArmValues::Ratio(_)) => Err(StatsInputError::new(
                    path,
                    InputProblem::WrongShape {
                        expected: "mean",
                        shape: "{\"n\", \"sum\", \"sum_squares\"}",
                    },
                )),
                (MetricKind::Proportion, ArmValues::Mean(_)) => Err(StatsInputError::new(
                    path,
                    InputProblem::WrongShape {
                        expected: "proportion",
                        shape: "{\"conversions\"} (and optionally \"n\")",
                    },
                )),
                (MetricKind::Mean, ArmValues::Proportion(_)) => Err(StatsInputError::new(
                    path,
                    InputProblem::WrongShape {
                        expected: "mean",
                        shape: "{\"n\", \"sum\", \"sum_squares\"}",
                    },
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cuped = cuped_arms(req, metric, &at, &arms)?;
    Ok(CheckedMetric {
        input: metric,
        arms,
        cuped,
    })
}

/// Section 9's covariates: on every arm or none (else a 400), each with a non-negative sum of
/// squares, and for a proportion a sum between 0 and n.
fn cuped_arms(
    req: &AnalyzeRequest,
    metric: &MetricInput,
    at: &dyn Fn(&str) -> String,
    arms: &[(ArmSummary, u64)],
) -> Result<Option<Vec<CupedArm>>, StatsInputError> {
    let values: Vec<&ArmValues> = req
        .arms
        .iter()
        .filter_map(|a| metric.values.get(&a.name))
        .collect();
    let with = values.iter().filter(|v| v.covariate().is_some()).count();
    if with == 0 {
        return Ok(None);
    }
    if let Some(missing) = req
        .arms
        .iter()
        .zip(&values)
        .find(|(_, v)| v.covariate().is_none())
    {
        let name = missing.0.name.clone();
        return Err(StatsInputError::new(
            format!("{}.covariate", at(&name)),
            InputProblem::PartialCovariate(name),
        ));
    }
    let mut out = Vec::with_capacity(values.len());
    for ((arm, value), (_, n)) in req.arms.iter().zip(&values).zip(arms) {
        let path = format!("{}.covariate", at(&arm.name));
        let Some(covariate) = value.covariate() else {
            continue;
        };
        for (name, x) in [
            ("sum", covariate.sum),
            ("sum_squares", covariate.sum_squares),
            ("cross_sum", covariate.cross_sum),
        ] {
            if !x.is_finite() {
                return Err(StatsInputError::new(
                    format!("{path}.{name}"),
                    InputProblem::NotFinite(x),
                ));
            }
        }
        if covariate.sum_squares < 0.0 {
            return Err(StatsInputError::new(
                format!("{path}.sum_squares"),
                InputProblem::Negative(covariate.sum_squares),
            ));
        }
        let (sum, sum_squares) = match value {
            ArmValues::Proportion(v) => {
                if covariate.sum < 0.0 || covariate.sum > *n as f64 {
                    return Err(StatsInputError::new(
                        format!("{path}.sum"),
                        InputProblem::CovariateAboveN {
                            sum: covariate.sum,
                            n: *n,
                        },
                    ));
                }
                let conversions = v.conversions as f64;
                (conversions, conversions)
            }
            ArmValues::Mean(v) => (v.sum, v.sum_squares),
            ArmValues::Ratio(_) => {
                return Err(StatsInputError::new(path, InputProblem::CovariateOnRatio))
            }
        };
        out.push(CupedArm {
            sum,
            sum_squares,
            covariate,
        });
    }
    Ok(Some(out))
}

fn ratio(
    path: &str,
    v: &RatioValues,
    arm_users: u64,
) -> Result<(ArmSummary, u64), StatsInputError> {
    let n = match v.n {
        Some(n) => count(n, || format!("{path}.n"))?,
        None => arm_users,
    };
    let sums = [
        ("numerator_sum", v.numerator_sum),
        ("numerator_sum_squares", v.numerator_sum_squares),
        ("denominator_sum", v.denominator_sum),
        ("denominator_sum_squares", v.denominator_sum_squares),
        ("cross_sum", v.cross_sum),
    ];
    for (name, value) in sums {
        if !value.is_finite() {
            return Err(StatsInputError::new(
                format!("{path}.{name}"),
                InputProblem::NotFinite(value),
            ));
        }
    }
    for (name, value) in [sums[1], sums[3]] {
        if value < 0.0 {
            return Err(StatsInputError::new(
                format!("{path}.{name}"),
                InputProblem::Negative(value),
            ));
        }
    }
    let summary = ArmSummary::ratio(
        n as f64,
        (v.numerator_sum, v.numerator_sum_squares),
        (v.denominator_sum, v.denominator_sum_squares),
        v.cross_sum,
    );
    Ok((summary, n))
}

fn proportion(
    path: &str,
    v: &ProportionValues,
    arm_users: u64,
) -> Result<(ArmSummary, u64), StatsInputError> {
    let conversions = count(v.conversions, || format!("{path}.conversions"))?;
    let n = match v.n {
        Some(n) => count(n, || format!("{path}.n"))?,
        None => arm_users,
    };
    if conversions > n {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        return Err(StatsInputError::new(
            format!("{path}.conversions"),
            InputProblem::ConversionsAboveN {
                conversions: v.conversions,
                n,
            },
        ));
    }
    Ok((ArmSummary::proportion(conversions as f64, n as f64), n))
}

fn mean(path: &str, v: &MeanValues) -> Result<(ArmSummary, u64), StatsInputError> {
    let n = count(v.n, || format!("{path}.n"))?;
    for (name, value) in [("sum", v.sum), ("sum_squares", v.sum_squares)] {
        if !value.is_finite() {
            return Err(StatsInputError::new(
                format!("{path}.{name}"),
                InputProblem::NotFinite(value),
            ));
        }
    }
    if v.sum_squares < 0.0 {
        return Err(StatsInputError::new(
            format!("{path}.sum_squares"),
            InputProblem::Negative(v.sum_squares),
        ));
    }
    if n == 0 {
        for (name, value) in [("sum", v.sum), ("sum_squares", v.sum_squares)] {
            if value != 0.0 {
                return Err(StatsInputError::new(
                    format!("{path}.{name}"),
                    InputProblem::NonZeroWithoutUsers(value),
                ));
            }
        }
    } else {
        // Cauchy-Schwarz: Q >= S^2/n for any real values. Allow for the rounding of summed floats.
        let floor = v.sum * v.sum / n as f64;
        if v.sum_squares < floor * (1.0 - 1e-9) {
            return Err(StatsInputError::new(
                format!("{path}.sum_squares"),
                InputProblem::ImpossibleSumSquares {
                    sum_squares: v.sum_squares,
                    floor,
                },
            ));
        }
    }
    Ok((ArmSummary::mean(n as f64, v.sum, v.sum_squares), n))
}

fn count(value: i64, field: impl FnOnce() -> String) -> Result<u64, StatsInputError> {
    u64::try_from(value)
        .map_err(|_| StatsInputError::new(field(), InputProblem::Negative(value as f64)))
}
