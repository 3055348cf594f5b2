//! The `POST /api/v1/stats/analyze` response. In Rust a comparison is typed (a result or the
//! reason there is none; p-values or a posterior, depending on the engine); on the wire it is the
//! flat object of STATISTICS.md section 7, where every field is present and the ones an engine
//! does not produce are null.

use serde::{Deserialize, Serialize};

use super::no_result::NoResult;
use super::srm::Srm;
use crate::domain::metric::{Direction, MetricKind, MetricRole};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnalyzeResponse {
    pub srm: Srm,
    pub metrics: Vec<MetricResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MetricResult {
    pub name: String,
    pub role: MetricRole,
    pub kind: MetricKind,
    /// Echoed so a reader of the response knows which way is better.
    pub direction: Direction,
    /// Every arm, the control first.
    pub arms: Vec<ArmStats>,
    /// One per treatment, in arm order, each against the control.
    pub comparisons: Vec<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArmStats {
    pub name: String,
    pub n: u64,
    /// Null for an empty arm: there is no mean of nobody.
    pub mean: Option<f64>,
    pub variance: Option<f64>,
}

/// One treatment against the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ComparisonWire", try_from = "ComparisonWire")]
pub struct Comparison {
    pub arm: String,
    pub outcome: Result<Estimate, NoResult>,
    /// CUPED's theta and the pre-period check, when the metric carried covariates.
    pub cuped: Option<Cuped>,
}

/// The numbers of a comparison that has a result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Relative lift (posterior mean under the Bayesian engine).
    pub lift_relative: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Treatment mean minus control mean.
    pub diff_absolute: f64,
    /// Interval of the difference (fixed-horizon and sequential only).
    pub diff_ci: Option<(f64, f64)>,
    pub evidence: Evidence,
}

/// What the engine weighs the lift with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evidence {
    /// Fixed-horizon and sequential: p-value of the relative lift, and after the correction
    /// within its family (primary or secondary).
    PValue { raw: f64, adjusted: f64 },
    /// Bayesian: probability of being better and the expected loss of each choice.
    Posterior {
        chance_to_win: f64,
        risk_control: f64,
        risk_treatment: f64,
    },
}

/// Section 9, per comparison: theta (0 when the fall-back applies) and the retro A/A check on
/// the covariate alone (null numbers when it has no result).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Cuped {
    pub theta: f64,
    pub pre_period: PrePeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PrePeriod {
    pub lift_relative: Option<f64>,
    pub p_value: Option<f64>,
}

impl Comparison {
    pub fn estimate(&self) -> Option<&Estimate> {
        self.outcome.as_ref().ok()
    }

    pub fn no_result(&self) -> Option<NoResult> {
        self.outcome.err()
    }
}

impl Estimate {
    pub fn p_value(&self) -> Option<f64> {
        match self.evidence {
            Evidence::PValue { raw, .. } => Some(raw),
            Evidence::Posterior { .. } => None,
        }
    }

    pub fn p_value_adjusted(&self) -> Option<f64> {
        match self.evidence {
            Evidence::PValue { adjusted, .. } => Some(adjusted),
            Evidence::Posterior { .. } => None,
        }
    }

    pub fn chance_to_win(&self) -> Option<f64> {
        match self.evidence {
            Evidence::Posterior { chance_to_win, .. } => Some(chance_to_win),
            Evidence::PValue { .. } => None,
        }
    }
}

/// On the wire a comparison is its section-7 shape, so that is what the API documents.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Comparison {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ComparisonWire as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Comparison {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ComparisonWire as utoipa::ToSchema>::schemas(schemas)
    }
}

/// The section-7 shape. Option fields serialise as null, never omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
struct ComparisonWire {
    arm: String,
    lift_relative: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    p_value: Option<f64>,
    p_value_adjusted: Option<f64>,
    diff_absolute: Option<f64>,
    diff_ci_low: Option<f64>,
    diff_ci_high: Option<f64>,
    chance_to_win: Option<f64>,
    risk_control: Option<f64>,
    risk_treatment: Option<f64>,
    /// CUPED's theta; null without covariates.
    #[serde(default)]
    theta: Option<f64>,
    /// The retro A/A check on the covariate; null without covariates.
    #[serde(default)]
    pre_period: Option<PrePeriod>,
    error: Option<NoResult>,
}

impl From<Comparison> for ComparisonWire {
    fn from(c: Comparison) -> Self {
        let mut wire = ComparisonWire {
            arm: c.arm,
            lift_relative: None,
            ci_low: None,
            ci_high: None,
            p_value: None,
            p_value_adjusted: None,
            diff_absolute: None,
            diff_ci_low: None,
            diff_ci_high: None,
            chance_to_win: None,
            risk_control: None,
            risk_treatment: None,
            theta: c.cuped.map(|c| c.theta),
            pre_period: c.cuped.map(|c| c.pre_period),
            error: None,
        };
        match c.outcome {
            Err(reason) => wire.error = Some(reason),
            Ok(e) => {
                wire.lift_relative = Some(e.lift_relative);
                wire.ci_low = Some(e.ci_low);
                wire.ci_high = Some(e.ci_high);
                wire.diff_absolute = Some(e.diff_absolute);
                wire.diff_ci_low = e.diff_ci.map(|(low, _)| low);
                wire.diff_ci_high = e.diff_ci.map(|(_, high)| high);
                match e.evidence {
                    Evidence::PValue { raw, adjusted } => {
                        wire.p_value = Some(raw);
                        wire.p_value_adjusted = Some(adjusted);
                    }
                    Evidence::Posterior {
                        chance_to_win,
                        risk_control,
                        risk_treatment,
                    } => {
                        wire.chance_to_win = Some(chance_to_win);
                        wire.risk_control = Some(risk_control);
                        wire.risk_treatment = Some(risk_treatment);
                    }
                }
            }
        }
        wire
    }
}

impl TryFrom<ComparisonWire> for Comparison {
    type Error = String;

    fn try_from(w: ComparisonWire) -> Result<Self, Self::Error> {
        let cuped = match (w.theta, w.pre_period) {
            (Some(theta), Some(pre_period)) => Some(Cuped { theta, pre_period }),
            (None, None) => None,
            _ => {
                return Err(format!(
                    "comparison for {:?} has half of CUPED's fields",
                    w.arm
                ))
            }
        };
        if let Some(reason) = w.error {
            return Ok(Comparison {
                arm: w.arm,
                outcome: Err(reason),
                cuped,
            });
        }
        let incomplete = || {
            format!(
                "comparison for {:?} has neither its numbers nor an error",
                w.arm
            )
        };
        let evidence = match (
            w.p_value,
            w.p_value_adjusted,
            w.chance_to_win,
            w.risk_control,
            w.risk_treatment,
        ) {
            (Some(raw), Some(adjusted), None, None, None) => Evidence::PValue { raw, adjusted },
            (None, None, Some(chance_to_win), Some(risk_control), Some(risk_treatment)) => {
                Evidence::Posterior {
                    chance_to_win,
                    risk_control,
                    risk_treatment,
                }
            }
            _ => return Err(incomplete()),
        };
        let (Some(lift_relative), Some(ci_low), Some(ci_high), Some(diff_absolute)) =
            (w.lift_relative, w.ci_low, w.ci_high, w.diff_absolute)
        else {
            return Err(incomplete());
        };
        let diff_ci = match (w.diff_ci_low, w.diff_ci_high) {
            (Some(low), Some(high)) => Some((low, high)),
            (None, None) => None,
            _ => return Err(incomplete()),
        };
        let estimate = Estimate {
            lift_relative,
            ci_low,
            ci_high,
            diff_absolute,
            diff_ci,
            evidence,
        };
        Ok(Comparison {
            arm: w.arm,
            outcome: Ok(estimate),
            cuped,
        })
    }
}
