//! The experiment brief: what a team commits to before launch. `validate` is the ready gate:
//! it lists every missing or invalid item at once, each tied to the field the form shows it on.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::experiment::FieldError;
use super::metric::{Correction, Direction, Engine, MetricKind};

/// "Changing [change] from [from] to [to] will improve [primary metric] by at least [mde]%,
/// because [because]." Stored in parts so the sentence can't drift from the metric and MDE.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
pub struct Arm {
    /// Exactly as the analytics tool names the variant.
    pub name: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// How the analytics tool records that a user saw an arm (chosen per experiment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exposure {
    /// Mixpanel's `$experiment_started` with `Experiment name` / `Variant name`.
    #[default]
    Mixpanel,
    /// Optimizely through Mixpanel: `Experiment Viewed` with `flag_key` / `variation_key`.
    Optimizely,
    /// Amplitude's `$exposure` with `flag_key` / `variant`.
    Amplitude,
    Custom {
        event: String,
        experiment_property: String,
        variant_property: String,
    },
}

impl Exposure {
    pub fn convention(&self) -> super::attribution::ExposureConvention {
        use super::attribution::ExposureConvention as C;
        match self {
            Exposure::Mixpanel => C::Mixpanel,
            Exposure::Optimizely => C::Optimizely,
            Exposure::Amplitude => C::Amplitude,
            Exposure::Custom {
                event,
                experiment_property,
                variant_property,
            } => C::Custom {
                event: event.clone(),
                experiment_property: experiment_property.clone(),
                variant_property: variant_property.clone(),
            },
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Exposure::Mixpanel => "Mixpanel $experiment_started",
            Exposure::Optimizely => "Optimizely Experiment Viewed",
            Exposure::Amplitude => "Amplitude $exposure",
            Exposure::Custom { .. } => "custom event",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The parts of a brief a reviewer checks off; completeness is the share that has no problem.
pub const SECTIONS: [&str; 9] = [
    "hypothesis",
    "primary",
    "secondary",
    "baseline",
    "mde",
    "arms",
    "traffic",
    "dates",
    "rule",
];

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

    /// Every missing or invalid item, each naming its field. Empty means the brief is complete.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        let h = &self.hypothesis;
        for (field, value, what) in [
            ("hypothesis.change", &h.change, "what changes"),
            ("hypothesis.from", &h.from, "the current version (A)"),
            ("hypothesis.to", &h.to, "the new version (B)"),
            ("hypothesis.because", &h.because, "why it should work"),
        ] {
            if blank(value) {
                e.push(FieldError::new(field, format!("hypothesis: say {what}")));
            }
        }
        check_metric(&mut e, "primary", &self.primary);
        match self.secondary.len() {
            2..=3 => {}
            n => e.push(FieldError::new(
                "secondary",
                format!("2 or 3 guardrail metrics are needed (has {n})"),
            )),
        }
        for (i, m) in self.secondary.iter().enumerate() {
            check_metric(&mut e, &format!("secondary[{i}]"), m);
            let clash = !blank(&m.name)
                && (m.name.trim() == self.primary.name.trim()
                    || self.secondary[..i]
                        .iter()
                        .any(|o| o.name.trim() == m.name.trim()));
            if clash {
                e.push(FieldError::new(
                    format!("secondary[{i}].name"),
                    format!(
                        "metric '{}' is listed twice: each metric has one role",
                        m.name.trim()
                    ),
                ));
            }
        }
        if let Exposure::Custom {
            event,
            experiment_property,
            variant_property,
        } = &self.exposure
        {
            if blank(event) || blank(experiment_property) || blank(variant_property) {
                e.push(FieldError::new(
                    "arms.exposure",
                    "a custom exposure needs its event and the experiment- and variant-name properties",
                ));
            }
        }
        self.check_baseline(&mut e);
        self.check_arms(&mut e);
        in_open_unit(
            &mut e,
            "alpha",
            "significance level alpha",
            Some(self.alpha),
        );
        in_open_unit(&mut e, "power", "power", Some(self.power));
        match self.daily_traffic {
            Some(t) if t > 0 => {}
            _ => e.push(FieldError::new(
                "daily_traffic",
                "expected daily traffic is required (users per day)",
            )),
        }
        if !(1..=90).contains(&self.window_days) {
            e.push(FieldError::new(
                "window_days",
                "conversion window must be 1 to 90 days",
            ));
        }
        match (self.planned_start, self.planned_end) {
            (Some(s), Some(end)) if end <= s => e.push(FieldError::new(
                "planned_end",
                format!("planned end date {end} must be after the start date {s}"),
            )),
            (start, end) => {
                if start.is_none() {
                    e.push(FieldError::new(
                        "planned_start",
                        "planned start date is required",
                    ));
                }
                if end.is_none() {
                    e.push(FieldError::new(
                        "planned_end",
                        "planned end date is required",
                    ));
                }
            }
        }
        match self.rule.min_lift {
            Some(v) if v >= 0.0 && v.is_finite() => {}
            Some(_) => e.push(FieldError::new(
                "rule.min_lift",
                "minimum lift cannot be negative",
            )),
            None => e.push(FieldError::new(
                "rule.min_lift",
                "decision rule: minimum lift to ship is required",
            )),
        }
        match self.rule.max_guardrail_drop {
            Some(v) if v >= 0.0 && v.is_finite() => {}
            Some(_) => e.push(FieldError::new(
                "rule.max_guardrail_drop",
                "tolerated guardrail drop cannot be negative",
            )),
            None => e.push(FieldError::new(
                "rule.max_guardrail_drop",
                "decision rule: largest tolerated guardrail drop is required",
            )),
        }
        e
    }

    fn check_baseline(&self, e: &mut Vec<FieldError>) {
        match self.primary.kind {
            MetricKind::Proportion => match self.baseline_rate {
                Some(p) if p > 0.0 && p < 1.0 => {
                    if let Some(m) = self.mde {
                        if p * (1.0 + m) >= 1.0 {
                            e.push(FieldError::new(
                                "mde",
                                format!(
                                    "a {}% lift on a {}% baseline exceeds 100%",
                                    round_pct(m * 100.0),
                                    round_pct(p * 100.0)
                                ),
                            ));
                        }
                    }
                }
                Some(_) => e.push(FieldError::new(
                    "baseline_rate",
                    "baseline rate must be between 0% and 100% (exclusive)",
                )),
                None => e.push(FieldError::new(
                    "baseline_rate",
                    "baseline conversion rate is required",
                )),
            },
            MetricKind::Mean => {
                match self.baseline_mean {
                    Some(m) if m != 0.0 && m.is_finite() => {}
                    Some(_) => e.push(FieldError::new(
                        "baseline_mean",
                        "baseline mean cannot be 0 (a relative lift of 0 is undefined)",
                    )),
                    None => e.push(FieldError::new(
                        "baseline_mean",
                        "baseline mean is required",
                    )),
                }
                match self.baseline_sd {
                    Some(sd) if sd > 0.0 && sd.is_finite() => {}
                    Some(_) => e.push(FieldError::new(
                        "baseline_sd",
                        "standard deviation must be above 0",
                    )),
                    None => e.push(FieldError::new(
                        "baseline_sd",
                        "baseline standard deviation is required",
                    )),
                }
            }
        }
        match self.mde {
            Some(m) if m > 0.0 && m.is_finite() => {}
            Some(_) => e.push(FieldError::new(
                "mde",
                "minimum detectable effect must be above 0%",
            )),
            None => e.push(FieldError::new(
                "mde",
                "minimum detectable effect is required",
            )),
        }
    }

    fn check_arms(&self, e: &mut Vec<FieldError>) {
        if self.arms.len() < 2 {
            e.push(FieldError::new(
                "arms",
                "a test needs a control and at least one treatment",
            ));
        }
        for (i, arm) in self.arms.iter().enumerate() {
            if blank(&arm.name) {
                e.push(FieldError::new(
                    format!("arms[{i}].name"),
                    "arm name is required (as the analytics tool names the variant)",
                ));
            } else if self.arms[..i]
                .iter()
                .any(|o| o.name.trim() == arm.name.trim())
            {
                e.push(FieldError::new(
                    format!("arms[{i}].name"),
                    format!("arm '{}' is listed twice", arm.name.trim()),
                ));
            }
            if !(arm.weight > 0.0 && arm.weight <= 1.0) {
                e.push(FieldError::new(
                    format!("arms[{i}].weight"),
                    "weight must be above 0 and at most 1",
                ));
            }
        }
        let total: f64 = self.arms.iter().map(|a| a.weight).sum();
        if !self.arms.is_empty() && (total - 1.0).abs() > 1e-6 {
            e.push(FieldError::new(
                "arms",
                format!(
                    "weights must sum to 100% (they sum to {}%)",
                    round_pct(total * 100.0)
                ),
            ));
        }
    }

    /// Share of the brief's sections without a problem, 0.0 to 1.0 (the board's progress bar).
    pub fn completeness(&self) -> f64 {
        let errors = self.validate();
        let done = SECTIONS
            .iter()
            .filter(|s| !errors.iter().any(|e| section_of(&e.field) == **s))
            .count();
        done as f64 / SECTIONS.len() as f64
    }

    /// Whether a field may be edited once the experiment runs: never, until amendments exist.
    pub fn arm_names(&self) -> Vec<String> {
        self.arms.iter().map(|a| a.name.clone()).collect()
    }
}

/// Which checklist section a field belongs to.
pub fn section_of(field: &str) -> &'static str {
    let head = field.split(['.', '[']).next().unwrap_or("");
    match head {
        "hypothesis" => "hypothesis",
        "primary" => "primary",
        "secondary" => "secondary",
        "baseline_rate" | "baseline_mean" | "baseline_sd" => "baseline",
        "mde" | "alpha" | "power" => "mde",
        "arms" => "arms",
        "daily_traffic" | "window_days" => "traffic",
        "planned_start" | "planned_end" => "dates",
        _ => "rule",
    }
}

fn check_metric(e: &mut Vec<FieldError>, at: &str, m: &MetricSpec) {
    let role = if at == "primary" {
        "primary metric"
    } else {
        "guardrail metric"
    };
    if blank(&m.name) {
        e.push(FieldError::new(
            format!("{at}.name"),
            format!("{role}: a name is required"),
        ));
    }
    if blank(&m.event) {
        e.push(FieldError::new(
            format!("{at}.event"),
            format!("{role}: the analytics event is required"),
        ));
    }
    if m.kind == MetricKind::Mean && blank(&m.value_property) {
        e.push(FieldError::new(
            format!("{at}.value_property"),
            format!("{role}: a mean metric needs the numeric property to sum (e.g. amount)"),
        ));
    }
}

fn in_open_unit(e: &mut Vec<FieldError>, field: &str, what: &str, v: Option<f64>) {
    if !v.is_some_and(|v| v > 0.0 && v < 1.0) {
        e.push(FieldError::new(
            field,
            format!("{what} must be between 0 and 1 (exclusive)"),
        ));
    }
}

/// 12.5000001 -> 12.5, for messages.
pub fn round_pct(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
#[path = "brief_tests.rs"]
mod tests;
