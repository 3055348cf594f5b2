//! A CSV of aggregates: one row per arm and metric, for teams whose numbers come from a
//! warehouse query or another tool. Every problem names its line; a file with any problem
//! stores nothing.

use serde::Deserialize;

use super::metrics;
use crate::domain::brief::Brief;
use crate::domain::experiment::FieldError;
use crate::domain::metric::MetricKind;
use crate::domain::results::{ArmCount, Counts, MetricCounts, Observed};
use crate::domain::stats::CovariateInput;

/// One metric of one arm: its value and, when the file has it, its pre-period covariate.
type Cell = (Observed, Option<CovariateInput>);

/// One row. Columns a file does not have read as empty, so the original six-column files keep
/// working.
#[derive(Debug, Deserialize)]
struct CsvRow {
    arm: String,
    users: u64,
    metric: String,
    #[serde(default)]
    conversions: Option<u64>,
    #[serde(default)]
    sum: Option<f64>,
    #[serde(default)]
    sum_squares: Option<f64>,
    #[serde(default)]
    numerator_sum: Option<f64>,
    #[serde(default)]
    numerator_sum_squares: Option<f64>,
    #[serde(default)]
    denominator_sum: Option<f64>,
    #[serde(default)]
    denominator_sum_squares: Option<f64>,
    #[serde(default)]
    cross_sum: Option<f64>,
    #[serde(default)]
    pre_sum: Option<f64>,
    #[serde(default)]
    pre_sum_squares: Option<f64>,
    #[serde(default)]
    pre_cross_sum: Option<f64>,
}

impl CsvRow {
    /// The metric's value in this row, or what is missing for its kind.
    fn observed(&self, kind: MetricKind) -> Result<Observed, &'static str> {
        match kind {
            MetricKind::Proportion => match self.conversions {
                Some(conversions) => Ok(Observed::Proportion { conversions }),
                None => Err("is a conversion metric: fill the conversions column"),
            },
            MetricKind::Mean => match (self.sum, self.sum_squares) {
                (Some(sum), Some(sum_squares)) => Ok(Observed::Mean {
                    n: self.users,
                    sum,
                    sum_squares,
                }),
                _ => Err("is a mean metric: fill sum and sum_squares"),
            },
            MetricKind::Ratio => match (
                self.numerator_sum,
                self.numerator_sum_squares,
                self.denominator_sum,
                self.denominator_sum_squares,
                self.cross_sum,
            ) {
                (Some(a), Some(b), Some(c), Some(d), Some(e)) => Ok(Observed::Ratio {
                    numerator_sum: a,
                    numerator_sum_squares: b,
                    denominator_sum: c,
                    denominator_sum_squares: d,
                    cross_sum: e,
                }),
                _ => Err("is a ratio metric: fill numerator_sum, numerator_sum_squares, denominator_sum, denominator_sum_squares and cross_sum"),
            },
        }
    }

    /// The pre-period covariate: all three columns, or none.
    fn covariate(&self) -> Result<Option<CovariateInput>, &'static str> {
        match (self.pre_sum, self.pre_sum_squares, self.pre_cross_sum) {
            (Some(sum), Some(sum_squares), Some(cross_sum)) => Ok(Some(CovariateInput {
                sum,
                sum_squares,
                cross_sum,
            })),
            (None, None, None) => Ok(None),
            _ => Err("fill all three of pre_sum, pre_sum_squares and pre_cross_sum, or none"),
        }
    }
}

/// Reads a CSV of aggregates with the header `arm,users,metric,conversions,sum,sum_squares`
/// and, as needed, the ratio columns `numerator_sum,numerator_sum_squares,denominator_sum,
/// denominator_sum_squares,cross_sum` and the CUPED columns `pre_sum,pre_sum_squares,
/// pre_cross_sum` (one row per arm and metric; conversions for conversion and retention
/// metrics, sum and sum_squares for sums and counts). Every problem names its line.
pub fn counts_from_csv(brief: &Brief, text: &str) -> Result<Counts, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, record) in reader.deserialize::<CsvRow>().enumerate() {
        let line = i + 2; // the header is line 1
        match record {
            Ok(r) => rows.push((line, r)),
            Err(e) => errors.push(FieldError::new(format!("line {line}"), csv_message(&e))),
        }
    }
    let mut arms: Vec<ArmCount> = brief
        .arms
        .iter()
        .map(|a| ArmCount {
            name: a.name.clone(),
            users: 0,
        })
        .collect();
    let mut seen = vec![false; arms.len()];
    let mut values: Vec<Vec<Option<Cell>>> =
        metrics(brief).map(|_| vec![None; arms.len()]).collect();
    for (line, r) in &rows {
        let at = format!("line {line}");
        let Some(ai) = arms.iter().position(|a| a.name == r.arm) else {
            errors.push(FieldError::new(
                at,
                format!(
                    "unknown arm '{}' (the brief's arms: {})",
                    r.arm,
                    brief.arm_names().join(", ")
                ),
            ));
            continue;
        };
        if seen[ai] && arms[ai].users != r.users {
            errors.push(FieldError::new(
                at.clone(),
                format!(
                    "arm '{}' has {} users here but {} on an earlier line",
                    r.arm, r.users, arms[ai].users
                ),
            ));
        }
        arms[ai].users = r.users;
        seen[ai] = true;
        let Some((mi, spec)) = metrics(brief)
            .enumerate()
            .find(|(_, m)| m.name == r.metric || m.event == r.metric)
        else {
            errors.push(FieldError::new(
                at,
                format!("unknown metric '{}'", r.metric),
            ));
            continue;
        };
        let value = match (r.observed(spec.statistic()), r.covariate()) {
            (Ok(value), Ok(covariate)) => (value, covariate),
            (Err(why), _) | (_, Err(why)) => {
                errors.push(FieldError::new(at, format!("'{}' {why}", spec.name)));
                continue;
            }
        };
        if values[mi][ai].replace(value).is_some() {
            errors.push(FieldError::new(
                format!("line {line}"),
                format!("'{}' for arm '{}' appears twice", spec.name, r.arm),
            ));
        }
    }
    for (spec, per_arm) in metrics(brief).zip(&values) {
        for (arm, v) in arms.iter().zip(per_arm) {
            if v.is_none() {
                errors.push(FieldError::new(
                    "csv",
                    format!("no row for metric '{}' in arm '{}'", spec.name, arm.name),
                ));
            }
        }
    }
    for (spec, per_arm) in metrics(brief).zip(&values) {
        let with = per_arm
            .iter()
            .flatten()
            .filter(|(_, c)| c.is_some())
            .count();
        if with > 0 && with < arms.len() {
            errors.push(FieldError::new(
                "csv",
                format!(
                    "metric '{}' has pre-period columns for {with} of {} arms: fill them for every arm or none",
                    spec.name,
                    arms.len()
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let counts = Counts {
        segments: Vec::new(),
        metrics: metrics(brief)
            .zip(values)
            .map(|(m, v)| {
                let (values, covariates): (Vec<_>, Vec<_>) = v.into_iter().flatten().unzip();
                MetricCounts {
                    metric: m.name.clone(),
                    values,
                    // CUPED needs every arm's pre-period; a file with some is refused above.
                    covariates: covariates.into_iter().flatten().collect(),
                }
            })
            .collect(),
        arms,
        multi_arm_users: 0,
        incomplete_windows: 0,
    };
    let problems = counts.validate(brief);
    if problems.is_empty() {
        Ok(counts)
    } else {
        Err(problems)
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(f) => format!("column {}: {}", f + 1, err.kind()),
            None => err.kind().to_string(),
        },
        _ => e.to_string(),
    }
}
