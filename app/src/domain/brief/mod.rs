//! The experiment brief: what a team commits to before launch. The types are here; the ready
//! gate (`validate`, `ready`) is in `validation.rs`, how exposures are recorded in `exposure.rs`.

mod exposure;
mod path;
mod validation;

pub use exposure::Exposure;
pub use path::{
    ArmPart, BriefField, BriefPath, HypothesisPart, MetricPart, RulePart, UnknownPath, SECTIONS,
};
pub use validation::ReadyBrief;
pub use validation::{MAX_LOOKBACK_DAYS, MAX_RETENTION_DAY};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::metric::{Correction, Direction, Engine, Measure, MetricKind};

/// "Changing [change] from [from] to [to] will improve [primary metric] by at least [mde]%,
/// because [because]." Stored in parts so the sentence can't drift from the metric and MDE.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Hypothesis {
    pub change: String,
    pub from: String,
    pub to: String,
    pub because: String,
    /// The rough idea typed when the experiment was proposed.
    pub draft: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MetricSpec {
    pub name: String,
    /// The analytics event that counts as a conversion (or carries the value, or is counted,
    /// or keeps a user retained: `*` there means any event; a ratio's numerator event).
    pub event: String,
    pub kind: Measure,
    pub direction: Direction,
    /// Sum metrics: the numeric event property summed per user (e.g. `amount`). Ratios: the
    /// numerator's property, empty to count the numerator's events.
    pub value_property: String,
    /// Retention metrics: the day after exposure the user must come back on (0 = the same day).
    pub retention_day: u32,
    /// Ratio metrics: the denominator's event and property (empty property: count its events).
    pub denominator_event: String,
    pub denominator_property: String,
    /// Sums and counts (a ratio's numerator): winsorize each user's value at this cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<ValueCap>,
}

impl Default for MetricSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            event: String::new(),
            kind: Measure::default(),
            direction: Direction::default(),
            value_property: String::new(),
            retention_day: 7,
            denominator_event: String::new(),
            denominator_property: String::new(),
            cap: None,
        }
    }
}

impl MetricSpec {
    /// The statistic the engine analyses this metric with.
    pub fn statistic(&self) -> MetricKind {
        self.kind.statistic()
    }
}

/// Where a per-user value is winsorized: values above become the cap, so a few whales cannot
/// decide a revenue test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValueCap {
    /// The NN-th percentile (nearest rank) of all exposed users' values, arms pooled
    /// (0 < NN <= 100).
    Percentile(f64),
    /// A fixed number in the metric's unit.
    Fixed(f64),
}

impl std::fmt::Display for ValueCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueCap::Percentile(p) => write!(f, "p{p}"),
            ValueCap::Fixed(x) => write!(f, "{x}"),
        }
    }
}

/// CUPED: analyse each conversion and mean metric adjusted by the same metric's value in the
/// days before each user's exposure, and run the pre-period (retro A/A) check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CupedSetting {
    pub enabled: bool,
    /// Days before exposure read as the pre-period (Mixpanel's retro A/A uses two weeks).
    pub lookback_days: u32,
    /// For the calculator: the expected correlation between a user's pre- and post-exposure
    /// values; the sample needed shrinks by a factor 1 - rho^2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_correlation: Option<f64>,
}

impl CupedSetting {
    pub const DEFAULT_LOOKBACK_DAYS: u32 = 14;

    /// What a brief stored before CUPED existed reads as: off, so its analysis does not change
    /// after the fact.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

impl Default for CupedSetting {
    fn default() -> Self {
        Self {
            enabled: true,
            lookback_days: Self::DEFAULT_LOOKBACK_DAYS,
            expected_correlation: None,
        }
    }
}

/// A brief names at most this many segment properties: more is a fishing trip.
pub const MAX_SEGMENTS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Arm {
    /// Exactly as the analytics tool names the variant.
    pub name: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DecisionRule {
    /// Smallest relative lift of the primary metric worth shipping (0.02 = +2%).
    pub min_lift: Option<f64>,
    /// Largest relative drop tolerated in any guardrail metric (0.01 = -1%).
    pub max_guardrail_drop: Option<f64>,
    pub engine: Engine,
    pub correction: Correction,
}

impl Default for DecisionRule {
    fn default() -> Self {
        Self {
            min_lift: None,
            max_guardrail_drop: None,
            engine: Engine::Frequentist,
            correction: Correction::Holm,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Brief {
    pub hypothesis: Hypothesis,
    pub primary: MetricSpec,
    pub secondary: Vec<MetricSpec>,
    /// Proportion primary metric: today's conversion rate (0.1 = 10%).
    pub baseline_rate: Option<f64>,
    /// Mean primary metric: today's mean and standard deviation per user.
    pub baseline_mean: Option<f64>,
    pub baseline_sd: Option<f64>,
    /// Minimum detectable effect, relative (0.05 = +5%).
    pub mde: Option<f64>,
    pub alpha: f64,
    pub power: f64,
    /// Control first.
    pub arms: Vec<Arm>,
    /// Users entering the experiment per day, all arms together.
    pub daily_traffic: Option<u64>,
    /// Conversion window after a user's first exposure.
    pub window_days: u32,
    /// Which exposure events assign users to arms.
    pub exposure: Exposure,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub rule: DecisionRule,
    /// New briefs start with CUPED on; a stored brief without the setting reads as off.
    #[serde(default = "CupedSetting::off")]
    pub cuped: CupedSetting,
    /// Properties of the first exposure event to break results down by (exploratory only).
    pub segments: Vec<String>,
    pub design_doc: String,
    pub ticket: String,
    /// Free text, Markdown (rendered through a sanitiser).
    pub notes: String,
}

impl Default for Brief {
    fn default() -> Self {
        Self {
            hypothesis: Hypothesis::default(),
            primary: MetricSpec::default(),
            secondary: Vec::new(),
            baseline_rate: None,
            baseline_mean: None,
            baseline_sd: None,
            mde: None,
            alpha: 0.05,
            power: 0.8,
            arms: vec![
                Arm {
                    name: "control".into(),
                    weight: 0.5,
                },
                Arm {
                    name: "treatment".into(),
                    weight: 0.5,
                },
            ],
            daily_traffic: None,
            window_days: 14,
            exposure: Exposure::Mixpanel,
            planned_start: None,
            planned_end: None,
            rule: DecisionRule::default(),
            cuped: CupedSetting::default(),
            segments: Vec::new(),
            design_doc: String::new(),
            ticket: String::new(),
            notes: String::new(),
        }
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

impl Brief {
    /// The hypothesis as one sentence, with the blanks still visible while drafting.
    pub fn hypothesis_sentence(&self) -> String {
        let part = |s: &str, gap: &str| {
            if blank(s) {
                gap.to_owned()
            } else {
                s.trim().to_owned()
            }
        };
        let metric = part(&self.primary.name, "[primary metric]");
        let z = self
            .mde
            .map(|m| format!("{}", round_pct(m * 100.0)))
            .unwrap_or_else(|| "[Z]".into());
        format!(
            "Changing {} from {} to {} will {} {metric} by at least {z}%, because {}.",
            part(&self.hypothesis.change, "[what]"),
            part(&self.hypothesis.from, "[A]"),
            part(&self.hypothesis.to, "[B]"),
            match self.primary.direction {
                Direction::Increase => "improve",
                Direction::Decrease => "reduce",
            },
            part(&self.hypothesis.because, "[why]"),
        )
    }

    /// The arms' names, control first.
    pub fn arm_names(&self) -> Vec<String> {
        self.arms.iter().map(|a| a.name.clone()).collect()
    }
}

/// 12.5000001 -> 12.5, for messages.
pub fn round_pct(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
