//! The ready gate: `validate` lists every missing or invalid item of a brief at once, each tied
//! to the field the form shows it on; `ready` turns a complete brief into the `ReadyBrief` a
//! launch needs.

use super::path::{ArmPart, BriefPath, HypothesisPart, MetricPart, RulePart, SECTIONS};
use super::{blank, round_pct, Brief, Exposure, MetricSpec, ValueCap, MAX_SEGMENTS};
use crate::domain::experiment::FieldError;
use crate::domain::metric::{Measure, MetricKind};

/// A pre-period longer than a quarter reads behaviour too stale to predict the test's.
pub const MAX_LOOKBACK_DAYS: u32 = 90;
/// Day-N retention beyond a year is not a test anyone waits for.
pub const MAX_RETENTION_DAY: u32 = 365;
/// Property names are short; a long one is a paste accident.
const MAX_NAME_BYTES: usize = 200;

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
        use BriefPath as P;
        let mut e = Vec::new();
        let h = &self.hypothesis;
        for (part, value, what) in [
            (HypothesisPart::Change, &h.change, "what changes"),
            (HypothesisPart::From, &h.from, "the current version (A)"),
            (HypothesisPart::To, &h.to, "the new version (B)"),
            (HypothesisPart::Because, &h.because, "why it should work"),
        ] {
            if blank(value) {
                e.push(FieldError::brief(
                    P::Hypothesis(Some(part)),
                    format!("hypothesis: say {what}"),
                ));
            }
        }
        check_metric(&mut e, &|part| P::Primary(Some(part)), &self.primary);
        match self.secondary.len() {
            2..=3 => {}
            n => e.push(FieldError::brief(
                P::Secondary(None),
                format!("2 or 3 guardrail metrics are needed (has {n})"),
            )),
        }
        for (i, m) in self.secondary.iter().enumerate() {
            check_metric(&mut e, &|part| P::Secondary(Some((i, Some(part)))), m);
            let clash = !blank(&m.name)
                && (m.name.trim() == self.primary.name.trim()
                    || self.secondary[..i]
                        .iter()
                        .any(|o| o.name.trim() == m.name.trim()));
            if clash {
                e.push(FieldError::brief(
                    P::Secondary(Some((i, Some(MetricPart::Name)))),
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
                e.push(FieldError::brief(
                    P::Exposure,
                    "a custom exposure needs its event and the experiment- and variant-name properties",
                ));
            }
        }
        self.check_baseline(&mut e);
        self.check_cuped_and_segments(&mut e);
        self.check_arms(&mut e);
        in_open_unit(
            &mut e,
            P::Alpha,
            "significance level alpha",
            Some(self.alpha),
        );
        in_open_unit(&mut e, P::Power, "power", Some(self.power));
        match self.daily_traffic {
            Some(t) if t > 0 => {}
            _ => e.push(FieldError::brief(
                P::DailyTraffic,
                "expected daily traffic is required (users per day)",
            )),
        }
        if !(1..=90).contains(&self.window_days) {
            e.push(FieldError::brief(
                P::WindowDays,
                "conversion window must be 1 to 90 days",
            ));
        }
        match (self.planned_start, self.planned_end) {
            (Some(s), Some(end)) if end <= s => e.push(FieldError::brief(
                P::PlannedEnd,
                format!("planned end date {end} must be after the start date {s}"),
            )),
            (start, end) => {
                if start.is_none() {
                    e.push(FieldError::brief(
                        P::PlannedStart,
                        "planned start date is required",
                    ));
                }
                if end.is_none() {
                    e.push(FieldError::brief(
                        P::PlannedEnd,
                        "planned end date is required",
                    ));
                }
            }
        }
        match self.rule.min_lift {
            Some(v) if v >= 0.0 && v.is_finite() => {}
            Some(_) => e.push(FieldError::brief(
                P::Rule(Some(RulePart::MinLift)),
                "minimum lift cannot be negative",
            )),
            None => e.push(FieldError::brief(
                P::Rule(Some(RulePart::MinLift)),
                "decision rule: minimum lift to ship is required",
            )),
        }
        match self.rule.max_guardrail_drop {
            Some(v) if v >= 0.0 && v.is_finite() => {}
            Some(_) => e.push(FieldError::brief(
                P::Rule(Some(RulePart::MaxGuardrailDrop)),
                "tolerated guardrail drop cannot be negative",
            )),
            None => e.push(FieldError::brief(
                P::Rule(Some(RulePart::MaxGuardrailDrop)),
                "decision rule: largest tolerated guardrail drop is required",
            )),
        }
        e
    }

    fn check_baseline(&self, e: &mut Vec<FieldError>) {
        use BriefPath as P;
        match self.primary.statistic() {
            MetricKind::Proportion => match self.baseline_rate {
                Some(p) if p > 0.0 && p < 1.0 => {
                    if let Some(m) = self.mde {
                        if p * (1.0 + m) >= 1.0 {
                            e.push(FieldError::brief(
                                P::Mde,
                                format!(
                                    "a {}% lift on a {}% baseline exceeds 100%",
                                    round_pct(m * 100.0),
                                    round_pct(p * 100.0)
                                ),
                            ));
                        }
                    }
                }
                Some(_) => e.push(FieldError::brief(
                    P::BaselineRate,
                    "baseline rate must be between 0% and 100% (exclusive)",
                )),
                None => e.push(FieldError::brief(
                    P::BaselineRate,
                    "baseline conversion rate is required",
                )),
            },
            MetricKind::Mean | MetricKind::Ratio => {
                match self.baseline_mean {
                    Some(m) if m != 0.0 && m.is_finite() => {}
                    Some(_) => e.push(FieldError::brief(
                        P::BaselineMean,
                        "baseline mean cannot be 0 (a relative lift of 0 is undefined)",
                    )),
                    None => e.push(FieldError::brief(
                        P::BaselineMean,
                        "baseline mean is required",
                    )),
                }
                match self.baseline_sd {
                    Some(sd) if sd > 0.0 && sd.is_finite() => {}
                    Some(_) => e.push(FieldError::brief(
                        P::BaselineSd,
                        "standard deviation must be above 0",
                    )),
                    None => e.push(FieldError::brief(
                        P::BaselineSd,
                        "baseline standard deviation is required",
                    )),
                }
            }
        }
        match self.mde {
            Some(m) if m > 0.0 && m.is_finite() => {}
            Some(_) => e.push(FieldError::brief(
                P::Mde,
                "minimum detectable effect must be above 0%",
            )),
            None => e.push(FieldError::brief(
                P::Mde,
                "minimum detectable effect is required",
            )),
        }
    }

    fn check_cuped_and_segments(&self, e: &mut Vec<FieldError>) {
        use BriefPath as P;
        let c = &self.cuped;
        if c.enabled && !(1..=MAX_LOOKBACK_DAYS).contains(&c.lookback_days) {
            e.push(FieldError::brief(
                P::Cuped,
                format!("CUPED lookback must be 1 to {MAX_LOOKBACK_DAYS} days"),
            ));
        }
        if c.expected_correlation
            .is_some_and(|r| !(0.0..1.0).contains(&r))
        {
            e.push(FieldError::brief(
                P::Cuped,
                "expected correlation must be at least 0 and below 1",
            ));
        }
        if self.segments.len() > MAX_SEGMENTS {
            e.push(FieldError::brief(
                P::Segments,
                format!(
                    "at most {MAX_SEGMENTS} segment properties (has {}): more is a fishing trip",
                    self.segments.len()
                ),
            ));
        }
        for (i, seg) in self.segments.iter().enumerate() {
            if blank(seg) || seg.len() > MAX_NAME_BYTES {
                e.push(FieldError::brief(
                    P::Segments,
                    format!("segment property names are 1 to {MAX_NAME_BYTES} characters"),
                ));
            } else if self.segments[..i].iter().any(|o| o.trim() == seg.trim()) {
                e.push(FieldError::brief(
                    P::Segments,
                    format!("segment '{}' is listed twice", seg.trim()),
                ));
            }
        }
    }

    fn check_arms(&self, e: &mut Vec<FieldError>) {
        use BriefPath as P;
        if self.arms.len() < 2 {
            e.push(FieldError::brief(
                P::Arms(None),
                "a test needs a control and at least one treatment",
            ));
        }
        for (i, arm) in self.arms.iter().enumerate() {
            if blank(&arm.name) {
                e.push(FieldError::brief(
                    P::Arms(Some((i, ArmPart::Name))),
                    "arm name is required (as the analytics tool names the variant)",
                ));
            } else if self.arms[..i]
                .iter()
                .any(|o| o.name.trim() == arm.name.trim())
            {
                e.push(FieldError::brief(
                    P::Arms(Some((i, ArmPart::Name))),
                    format!("arm '{}' is listed twice", arm.name.trim()),
                ));
            }
            if !(arm.weight > 0.0 && arm.weight <= 1.0) {
                e.push(FieldError::brief(
                    P::Arms(Some((i, ArmPart::Weight))),
                    "weight must be above 0 and at most 1",
                ));
            }
        }
        let total: f64 = self.arms.iter().map(|a| a.weight).sum();
        if !self.arms.is_empty() && (total - 1.0).abs() > 1e-6 {
            e.push(FieldError::brief(
                P::Arms(None),
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
        // Every problem the gate lists names a brief path; one that did not would hold back the
        // last section rather than vanish from the count.
        let section = |e: &FieldError| e.brief_path().map_or("rule", BriefPath::section);
        let done = SECTIONS
            .iter()
            .filter(|s| !errors.iter().any(|e| section(e) == **s))
            .count();
        done as f64 / SECTIONS.len() as f64
    }
}

/// `at` places one of the metric's inputs (the primary's, or guardrail `i`'s).
fn check_metric(e: &mut Vec<FieldError>, at: &dyn Fn(MetricPart) -> BriefPath, m: &MetricSpec) {
    let role = if matches!(at(MetricPart::Name), BriefPath::Primary(_)) {
        "primary metric"
    } else {
        "guardrail metric"
    };
    if blank(&m.name) {
        e.push(FieldError::brief(
            at(MetricPart::Name),
            format!("{role}: a name is required"),
        ));
    }
    if blank(&m.event) {
        e.push(FieldError::brief(
            at(MetricPart::Event),
            format!("{role}: the analytics event is required"),
        ));
    }
    let needs = |e: &mut Vec<FieldError>, part: MetricPart, value: &str, what: &str| {
        if blank(value) {
            e.push(FieldError::brief(at(part), format!("{role}: {what}")));
        }
    };
    match m.kind {
        Measure::Proportion => {}
        Measure::Mean => needs(
            e,
            MetricPart::ValueProperty,
            &m.value_property,
            "a sum metric needs the numeric property to sum (e.g. amount)",
        ),
        Measure::Count => {
            if m.event.trim() == "*" {
                e.push(FieldError::brief(
                    at(MetricPart::Event),
                    format!("{role}: count one named event (* is for retention)"),
                ));
            }
        }
        Measure::Retention => {
            if m.retention_day > MAX_RETENTION_DAY {
                e.push(FieldError::brief(
                    at(MetricPart::RetentionDay),
                    format!("{role}: the retention day must be 0 to {MAX_RETENTION_DAY}"),
                ));
            }
        }
        Measure::Ratio => needs(
            e,
            MetricPart::DenominatorEvent,
            &m.denominator_event,
            "a ratio needs the denominator's event (e.g. purchase for revenue per order)",
        ),
    }
    // A count has its own message above.
    if !matches!(m.kind, Measure::Retention | Measure::Count) && m.event.trim() == "*" {
        e.push(FieldError::brief(
            at(MetricPart::Event),
            format!("{role}: * (any event) is only for retention metrics"),
        ));
    }
    match m.cap {
        None => {}
        Some(_) if !m.kind.can_cap() => e.push(FieldError::brief(
            at(MetricPart::Cap),
            format!("{role}: only sums, counts and ratios are winsorized"),
        )),
        Some(ValueCap::Percentile(p)) if !(p > 0.0 && p <= 100.0) => e.push(FieldError::brief(
            at(MetricPart::Cap),
            format!("{role}: a percentile cap is above 0 and at most 100"),
        )),
        Some(ValueCap::Fixed(x)) if !(x.is_finite() && x >= 0.0) => e.push(FieldError::brief(
            at(MetricPart::Cap),
            format!("{role}: a fixed cap is a number, 0 or more"),
        )),
        Some(_) => {}
    }
}

fn in_open_unit(e: &mut Vec<FieldError>, field: BriefPath, what: &str, v: Option<f64>) {
    if !v.is_some_and(|v| v > 0.0 && v < 1.0) {
        e.push(FieldError::brief(
            field,
            format!("{what} must be between 0 and 1 (exclusive)"),
        ));
    }
}
