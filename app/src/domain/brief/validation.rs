//! The ready gate: `validate` lists every missing or invalid item of a brief at once, each tied
//! to the field the form shows it on; `ready` turns a complete brief into the `ReadyBrief` a
//! launch needs.

use super::{blank, round_pct, Brief, Exposure, MetricSpec};
use crate::domain::experiment::FieldError;
use crate::domain::metric::MetricKind;

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

/// A brief with nothing missing or invalid: only `Brief::ready` makes one, so code that takes a
/// `ReadyBrief` cannot be handed an incomplete brief.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadyBrief(Brief);

impl ReadyBrief {
    pub fn brief(&self) -> &Brief {
        &self.0
    }
}

impl Brief {
    /// The brief as a `ReadyBrief`, or every problem that stops it (as `validate` lists them).
    pub fn ready(&self) -> Result<ReadyBrief, Vec<FieldError>> {
        let problems = self.validate();
        if problems.is_empty() {
            Ok(ReadyBrief(self.clone()))
        } else {
            Err(problems)
        }
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
