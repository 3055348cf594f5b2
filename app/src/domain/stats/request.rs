//! The `POST /api/v1/stats/analyze` request, exactly as STATISTICS.md section 7 spells it. These
//! are wire types: counts are i64 so that a negative one reaches [`super::analyze`] and is
//! reported with its field path, rather than failing inside serde with a line and column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::metric::{Correction, Direction, Engine, MetricKind, MetricRole};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    #[serde(default)]
    pub engine: Engine,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// N* of the sequential test.
    #[serde(default = "default_tuning")]
    pub sequential_tuning: f64,
    /// Omitted for the flat prior.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<PriorInput>,
    #[serde(default)]
    pub correction: Correction,
    #[serde(default = "default_srm_threshold")]
    pub srm_threshold: f64,
    /// The first arm is the control.
    pub arms: Vec<ArmInput>,
    pub metrics: Vec<MetricInput>,
}

fn default_alpha() -> f64 {
    0.05
}
fn default_tuning() -> f64 {
    5000.0
}
fn default_srm_threshold() -> f64 {
    0.001
}
fn default_weight() -> f64 {
    1.0
}

impl AnalyzeRequest {
    /// A request at the API defaults: fixed horizon, alpha 0.05, Holm, SRM at 0.001, flat prior.
    pub fn new(arms: Vec<ArmInput>, metrics: Vec<MetricInput>) -> Self {
        Self {
            engine: Engine::default(),
            alpha: default_alpha(),
            sequential_tuning: default_tuning(),
            prior: None,
            correction: Correction::default(),
            srm_threshold: default_srm_threshold(),
            arms,
            metrics,
        }
    }
}

/// A normal prior on the relative lift.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PriorInput {
    pub mean: f64,
    pub stddev: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArmInput {
    pub name: String,
    /// Users assigned to the arm (the SRM check's counts, and a proportion metric's n).
    pub users: i64,
    /// Planned share of traffic, on any positive scale; equal shares when omitted.
    #[serde(default = "default_weight")]
    pub weight: f64,
}

impl ArmInput {
    pub fn new(name: impl Into<String>, users: u64, weight: f64) -> Self {
        Self {
            name: name.into(),
            users: clamp_count(users),
            weight,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MetricInput {
    pub name: String,
    pub role: MetricRole,
    pub kind: MetricKind,
    #[serde(default)]
    pub direction: Direction,
    /// Keyed by arm name; every arm needs an entry.
    pub values: BTreeMap<String, ArmValues>,
}

/// One arm's data for one metric; the shape must match the metric's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ArmValues {
    Proportion(ProportionValues),
    Mean(MeanValues),
    Ratio(RatioValues),
}

/// A metric's pre-exposure value per user, summed over the arm (section 9): for CUPED and the
/// pre-period check. For a proportion metric x is 1 when the user had the event before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CovariateInput {
    pub sum: f64,
    pub sum_squares: f64,
    /// Sum of post * pre over the arm's users.
    pub cross_sum: f64,
}

/// Section 8: per-user numerator m and denominator d, summed over the arm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RatioValues {
    /// Users; the arm's users when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i64>,
    pub numerator_sum: f64,
    pub numerator_sum_squares: f64,
    pub denominator_sum: f64,
    pub denominator_sum_squares: f64,
    /// Sum of m * d.
    pub cross_sum: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProportionValues {
    pub conversions: i64,
    /// Users this metric was measured on; the arm's users when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariate: Option<CovariateInput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MeanValues {
    pub n: i64,
    pub sum: f64,
    pub sum_squares: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariate: Option<CovariateInput>,
}

impl ArmValues {
    /// Conversions out of the arm's users.
    pub fn proportion(conversions: u64) -> Self {
        ArmValues::Proportion(ProportionValues {
            conversions: clamp_count(conversions),
            n: None,
            covariate: None,
        })
    }

    pub fn mean(n: u64, sum: f64, sum_squares: f64) -> Self {
        ArmValues::Mean(MeanValues {
            n: clamp_count(n),
            sum,
            sum_squares,
            covariate: None,
        })
    }

    /// The same values carrying a pre-exposure covariate (a ratio carries none).
    pub fn with_covariate(mut self, covariate: Option<CovariateInput>) -> Self {
        match &mut self {
            ArmValues::Proportion(v) => v.covariate = covariate,
            ArmValues::Mean(v) => v.covariate = covariate,
            ArmValues::Ratio(_) => {}
        }
        self
    }

    /// The pre-exposure covariate, when the values carry one.
    pub fn covariate(&self) -> Option<CovariateInput> {
        match self {
            ArmValues::Proportion(v) => v.covariate,
            ArmValues::Mean(v) => v.covariate,
            ArmValues::Ratio(_) => None,
        }
    }
}

/// No real count reaches i64::MAX (9.2e18); saturating keeps the constructors total.
fn clamp_count(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
