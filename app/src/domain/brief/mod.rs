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

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::metric::{Correction, Direction, Engine, MetricKind};

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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct MetricSpec {
    pub name: String,
    /// The analytics event that counts as a conversion (or carries the value).
    pub event: String,
    pub kind: MetricKind,
    pub direction: Direction,
    /// Mean metrics only: the numeric event property summed per user (e.g. `amount`).
    pub value_property: String,
}

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
