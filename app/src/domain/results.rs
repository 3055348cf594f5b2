//! Observed counts for an experiment: per arm, the users exposed and, per metric, conversions
//! (proportion) or n / sum / sum of squares (mean). A snapshot is one immutable reading of them,
//! typed in by hand or pulled from an analytics export.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::brief::Brief;
use super::experiment::FieldError;
use super::metric::MetricKind;
use super::stats::CovariateInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Manual,
    Mixpanel,
    File,
    Csv,
    /// Computed by one query inside the team's warehouse (PostgreSQL).
    Warehouse,
}

crate::domain::slugs!(Source { Manual => "manual", Mixpanel => "mixpanel", File => "file", Csv => "csv", Warehouse => "warehouse" });

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Manual => "typed in",
            Source::Mixpanel => "Mixpanel export",
            Source::File => "uploaded export",
            Source::Csv => "uploaded CSV",
            Source::Warehouse => "warehouse query",
        }
    }

    /// Whether Verdict counted these itself from raw events (and so by its own rules).
    pub fn is_attributed(self) -> bool {
        matches!(self, Source::Mixpanel | Source::File | Source::Warehouse)
    }
}

/// One arm's value for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Observed {
    Proportion {
        conversions: u64,
    },
    Mean {
        n: u64,
        sum: f64,
        sum_squares: f64,
    },
    /// Per user a numerator m and a denominator d (STATISTICS.md section 8), over the arm's users.
    Ratio {
        numerator_sum: f64,
        numerator_sum_squares: f64,
        denominator_sum: f64,
        denominator_sum_squares: f64,
        /// Sum of m * d.
        cross_sum: f64,
    },
}

impl Observed {
    /// From what people usually have at hand for a mean metric: n, mean and standard deviation.
    pub fn from_mean_sd(n: u64, mean: f64, sd: f64) -> Self {
        let nf = n as f64;
        let sum = mean * nf;
        let sum_squares = if n > 1 {
            sd * sd * (nf - 1.0) + nf * mean * mean
        } else {
            nf * mean * mean
        };
        Observed::Mean {
            n,
            sum,
            sum_squares,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArmCount {
    pub name: String,
    pub users: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MetricCounts {
    /// The brief's metric name.
    pub metric: String,
    /// In arm order, one per arm.
    pub values: Vec<Observed>,
    /// CUPED: the same metric over each user's pre-exposure period, one per arm in arm order
    /// (empty when the reading has none: CUPED off, a ratio, or typed-in counts without them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<CovariateInput>,
}

impl MetricCounts {
    pub fn new(metric: impl Into<String>, values: Vec<Observed>) -> Self {
        Self {
            metric: metric.into(),
            values,
            covariates: Vec::new(),
        }
    }
}

/// One value of a segment property (`$os` = `iOS`): the arms and metrics of the users whose
/// first exposure carried it. Exploratory: the decision never reads these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentCounts {
    pub property: String,
    pub value: String,
    pub arms: Vec<ArmCount>,
    pub metrics: Vec<MetricCounts>,
}

impl SegmentCounts {
    /// The segment as a reading of its own, to analyse like the whole experiment.
    pub fn counts(&self) -> Counts {
        Counts {
            arms: self.arms.clone(),
            metrics: self.metrics.clone(),
            ..Counts::default()
        }
    }
}

/// Everything one reading holds, in the brief's arm and metric order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Counts {
    pub arms: Vec<ArmCount>,
    pub metrics: Vec<MetricCounts>,
    /// Users exposed to two or more arms: left out of every arm (attributed sources only).
    #[serde(default)]
    pub multi_arm_users: u64,
    /// Counted users whose conversion window reaches past the end of the data (attributed
    /// sources only): their later conversions are not in yet.
    #[serde(default)]
    pub incomplete_windows: u64,
    /// Per segment property and value, from the brief's segments (attributed sources only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentCounts>,
}

impl Counts {
    /// Share of exposed users who saw more than one arm. Above 1% assignment is leaking.
    pub fn multi_arm_share(&self) -> f64 {
        let exposed: u64 = self.arms.iter().map(|a| a.users).sum::<u64>() + self.multi_arm_users;
        if exposed == 0 {
            0.0
        } else {
            self.multi_arm_users as f64 / exposed as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    pub source: Source,
    pub counts: Counts,
    pub lines: u64,
    pub skipped_lines: u64,
}

impl Counts {
    /// Checks counts against the brief they claim to measure: same arms in the same order, one
    /// entry per metric of the right kind, conversions never above the users of their arm.
    pub fn validate(&self, brief: &Brief) -> Vec<FieldError> {
        let mut e = Vec::new();
        let arm_names = brief.arm_names();
        let got: Vec<&str> = self.arms.iter().map(|a| a.name.as_str()).collect();
        if got != arm_names.iter().map(String::as_str).collect::<Vec<_>>() {
            e.push(FieldError::new(
                "arms",
                format!(
                    "arms must be {} in that order (got {})",
                    arm_names.join(", "),
                    got.join(", ")
                ),
            ));
            return e;
        }
        let metrics = std::iter::once(&brief.primary).chain(brief.secondary.iter());
        for (spec, (i, counts)) in metrics.zip(self.metrics.iter().enumerate()) {
            if counts.metric != spec.name {
                e.push(FieldError::new(
                    format!("metrics[{i}]"),
                    format!("expected metric '{}', got '{}'", spec.name, counts.metric),
                ));
                continue;
            }
            if counts.values.len() != self.arms.len() {
                e.push(FieldError::new(
                    format!("metrics[{i}]"),
                    format!("'{}' needs one value per arm", spec.name),
                ));
                continue;
            }
            if !counts.covariates.is_empty() && counts.covariates.len() != self.arms.len() {
                e.push(FieldError::new(
                    format!("metrics[{i}]"),
                    format!(
                        "'{}' needs one pre-period covariate per arm, or none",
                        spec.name
                    ),
                ));
            }
            for c in &counts.covariates {
                if ![c.sum, c.sum_squares, c.cross_sum]
                    .iter()
                    .all(|v| v.is_finite())
                {
                    e.push(FieldError::new(
                        format!("metrics[{i}]"),
                        format!("'{}': pre-period sums must be finite", spec.name),
                    ));
                }
            }
            for (arm, value) in self.arms.iter().zip(&counts.values) {
                let at = format!("{} / {}", spec.name, arm.name);
                match (spec.statistic(), value) {
                    (MetricKind::Proportion, Observed::Proportion { conversions })
                        if *conversions > arm.users =>
                    {
                        e.push(FieldError::new(
                            at,
                            format!(
                                "{conversions} conversions is more than the arm's {} users",
                                arm.users
                            ),
                        ))
                    }
                    (MetricKind::Proportion, Observed::Proportion { .. }) => {}
                    (
                        MetricKind::Mean,
                        Observed::Mean {
                            n,
                            sum,
                            sum_squares,
                        },
                    ) => {
                        if !(sum.is_finite() && sum_squares.is_finite()) || *sum_squares < 0.0 {
                            e.push(FieldError::new(at.clone(), "sum and sum of squares must be finite, sum of squares not negative"));
                        }
                        if *n > arm.users {
                            e.push(FieldError::new(
                                at,
                                format!("n = {n} is more than the arm's {} users", arm.users),
                            ));
                        }
                    }
                    (
                        MetricKind::Ratio,
                        Observed::Ratio {
                            numerator_sum,
                            numerator_sum_squares,
                            denominator_sum,
                            denominator_sum_squares,
                            cross_sum,
                        },
                    ) => {
                        let all = [
                            numerator_sum,
                            numerator_sum_squares,
                            denominator_sum,
                            denominator_sum_squares,
                            cross_sum,
                        ];
                        if !all.iter().all(|v| v.is_finite())
                            || *numerator_sum_squares < 0.0
                            || *denominator_sum_squares < 0.0
                        {
                            e.push(FieldError::new(
                                at,
                                "every ratio sum must be finite, sums of squares not negative",
                            ));
                        }
                    }
                    _ => e.push(FieldError::new(
                        at,
                        format!(
                            "'{}' is a {} metric",
                            spec.name,
                            spec.kind.label().to_ascii_lowercase()
                        ),
                    )),
                }
            }
        }
        for (i, segment) in self.segments.iter().enumerate() {
            if !brief.segments.contains(&segment.property) {
                e.push(FieldError::new(
                    format!("segments[{i}]"),
                    format!(
                        "'{}' is not a segment property of the brief",
                        segment.property
                    ),
                ));
                continue;
            }
            for p in segment.counts().validate(brief) {
                e.push(FieldError::new(
                    format!(
                        "segments[{i}] ({} = {}) {}",
                        segment.property, segment.value, p.field
                    ),
                    p.message,
                ));
            }
        }
        let expected = 1 + brief.secondary.len();
        if self.metrics.len() != expected {
            e.push(FieldError::new(
                "metrics",
                format!(
                    "expected {expected} metrics (the primary and each guardrail), got {}",
                    self.metrics.len()
                ),
            ));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::complete_brief;

    fn counts() -> Counts {
        Counts {
            segments: Vec::new(),
            multi_arm_users: 0,
            incomplete_windows: 0,
            arms: vec![
                ArmCount {
                    name: "control".into(),
                    users: 1000,
                },
                ArmCount {
                    name: "one_page".into(),
                    users: 1000,
                },
            ],
            metrics: vec![
                MetricCounts {
                    covariates: Vec::new(),
                    metric: "purchase".into(),
                    values: vec![
                        Observed::Proportion { conversions: 100 },
                        Observed::Proportion { conversions: 120 },
                    ],
                },
                MetricCounts {
                    covariates: Vec::new(),
                    metric: "revenue".into(),
                    values: vec![
                        Observed::from_mean_sd(1000, 2.5, 12.0),
                        Observed::from_mean_sd(1000, 2.6, 12.0),
                    ],
                },
                MetricCounts {
                    covariates: Vec::new(),
                    metric: "refunds".into(),
                    values: vec![
                        Observed::Proportion { conversions: 10 },
                        Observed::Proportion { conversions: 11 },
                    ],
                },
            ],
        }
    }

    #[test]
    fn counts_that_match_the_brief_are_valid() {
        assert_eq!(counts().validate(&complete_brief()), vec![]);
    }

    #[test]
    fn more_conversions_than_users_names_the_metric_and_arm() {
        let mut c = counts();
        c.metrics[0].values[1] = Observed::Proportion { conversions: 1001 };
        let e = c.validate(&complete_brief());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "purchase / one_page");
        assert!(e[0]
            .message
            .contains("1001 conversions is more than the arm's 1000 users"));
    }

    #[test]
    fn arms_must_be_the_briefs_arms_in_order() {
        let mut c = counts();
        c.arms.swap(0, 1);
        assert!(c.validate(&complete_brief())[0]
            .message
            .contains("control, one_page in that order"));
    }

    #[test]
    fn mean_and_sd_convert_to_sums_that_give_them_back() {
        let Observed::Mean {
            n,
            sum,
            sum_squares,
        } = Observed::from_mean_sd(500, 3.0, 2.0)
        else {
            panic!()
        };
        let nf = n as f64;
        let mean = sum / nf;
        let var = (sum_squares - sum * sum / nf) / (nf - 1.0);
        assert!((mean - 3.0).abs() < 1e-12 && (var - 4.0).abs() < 1e-9);
    }
}
