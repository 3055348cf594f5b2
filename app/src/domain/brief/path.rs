//! Where a value lives in a brief: one vocabulary for the ready gate's problems, the editor's
//! inputs and error slots, amendments and the REST API's field errors.
//!
//! A [`BriefPath`] prints as the path the JSON and the form use (`hypothesis.change`,
//! `secondary[1].event`, `arms[0].weight`), parses back from it, and knows its amendment-level
//! [`BriefField`] and its checklist section, so no part of the app spells a field by hand.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The brief's fields as an amendment names them (a change to `secondary[1].event` amends the
/// guardrail metrics). Stored by name in the amendment log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BriefField {
    Hypothesis,
    PrimaryMetric,
    Guardrails,
    Baseline,
    Mde,
    Alpha,
    Power,
    Arms,
    DailyTraffic,
    ConversionWindow,
    Exposure,
    PlannedStart,
    PlannedEnd,
    DecisionRule,
    Cuped,
    Segments,
    Links,
    Notes,
}

impl BriefField {
    pub fn label(self) -> &'static str {
        match self {
            BriefField::Hypothesis => "hypothesis",
            BriefField::PrimaryMetric => "primary metric",
            BriefField::Guardrails => "guardrail metrics",
            BriefField::Baseline => "baseline",
            BriefField::Mde => "minimum detectable effect",
            BriefField::Alpha => "significance level",
            BriefField::Power => "power",
            BriefField::Arms => "arms",
            BriefField::DailyTraffic => "daily traffic",
            BriefField::ConversionWindow => "conversion window",
            BriefField::Exposure => "exposure events",
            BriefField::PlannedStart => "planned start date",
            BriefField::PlannedEnd => "planned end date",
            BriefField::DecisionRule => "decision rule",
            BriefField::Cuped => "CUPED",
            BriefField::Segments => "segments",
            BriefField::Links => "links",
            BriefField::Notes => "notes",
        }
    }

    /// Fields that change what the test can conclude (as opposed to notes and links): the
    /// results view marks amendments touching them as the ones to scrutinise.
    pub fn affects_the_decision(self) -> bool {
        !matches!(self, BriefField::Links | BriefField::Notes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HypothesisPart {
    Change,
    From,
    To,
    Because,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricPart {
    Name,
    Event,
    Kind,
    Direction,
    ValueProperty,
    RetentionDay,
    DenominatorEvent,
    DenominatorProperty,
    Cap,
}

impl MetricPart {
    pub const ALL: [MetricPart; 9] = [
        MetricPart::Name,
        MetricPart::Event,
        MetricPart::Kind,
        MetricPart::Direction,
        MetricPart::ValueProperty,
        MetricPart::RetentionDay,
        MetricPart::DenominatorEvent,
        MetricPart::DenominatorProperty,
        MetricPart::Cap,
    ];

    /// The field's JSON (and form) name.
    pub fn name(self) -> &'static str {
        match self {
            MetricPart::Name => "name",
            MetricPart::Event => "event",
            MetricPart::Kind => "kind",
            MetricPart::Direction => "direction",
            MetricPart::ValueProperty => "value_property",
            MetricPart::RetentionDay => "retention_day",
            MetricPart::DenominatorEvent => "denominator_event",
            MetricPart::DenominatorProperty => "denominator_property",
            MetricPart::Cap => "cap",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArmPart {
    Name,
    Weight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RulePart {
    MinLift,
    MaxGuardrailDrop,
    Engine,
    Correction,
}

/// A place in a brief, from a whole section down to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BriefPath {
    Hypothesis(Option<HypothesisPart>),
    Primary(Option<MetricPart>),
    /// The guardrail list, or one guardrail (and one of its inputs).
    Secondary(Option<(usize, Option<MetricPart>)>),
    BaselineRate,
    BaselineMean,
    BaselineSd,
    Mde,
    Alpha,
    Power,
    /// The arm list, or one arm's input.
    Arms(Option<(usize, ArmPart)>),
    /// The exposure convention, shown with the arms (its variant names must match theirs).
    Exposure,
    DailyTraffic,
    WindowDays,
    PlannedStart,
    PlannedEnd,
    Rule(Option<RulePart>),
    /// The CUPED setting (on, lookback days, expected correlation).
    Cuped,
    Segments,
    Links,
    Notes,
}

/// The checklist's sections, in the form's order: completeness is the share without a problem.
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

impl BriefPath {
    /// The field an amendment that changes this value amends.
    pub fn field(self) -> BriefField {
        use BriefPath as P;
        match self {
            P::Hypothesis(_) => BriefField::Hypothesis,
            P::Primary(_) => BriefField::PrimaryMetric,
            P::Secondary(_) => BriefField::Guardrails,
            P::BaselineRate | P::BaselineMean | P::BaselineSd => BriefField::Baseline,
            P::Mde => BriefField::Mde,
            P::Alpha => BriefField::Alpha,
            P::Power => BriefField::Power,
            P::Arms(_) => BriefField::Arms,
            P::Exposure => BriefField::Exposure,
            P::DailyTraffic => BriefField::DailyTraffic,
            P::WindowDays => BriefField::ConversionWindow,
            P::PlannedStart => BriefField::PlannedStart,
            P::PlannedEnd => BriefField::PlannedEnd,
            P::Rule(_) => BriefField::DecisionRule,
            P::Cuped => BriefField::Cuped,
            P::Segments => BriefField::Segments,
            P::Links => BriefField::Links,
            P::Notes => BriefField::Notes,
        }
    }

    /// The checklist section (one of [`SECTIONS`]) a problem here holds back.
    pub fn section(self) -> &'static str {
        use BriefPath as P;
        match self {
            P::Hypothesis(_) => "hypothesis",
            P::Primary(_) => "primary",
            P::Secondary(_) => "secondary",
            P::BaselineRate | P::BaselineMean | P::BaselineSd => "baseline",
            P::Mde | P::Alpha | P::Power | P::Cuped => "mde",
            P::Arms(_) | P::Exposure => "arms",
            P::DailyTraffic | P::WindowDays => "traffic",
            P::PlannedStart | P::PlannedEnd => "dates",
            P::Rule(_) | P::Segments | P::Links | P::Notes => "rule",
        }
    }
}

impl fmt::Display for BriefPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BriefPath as P;
        let metric = MetricPart::name;
        match *self {
            P::Hypothesis(None) => f.write_str("hypothesis"),
            P::Hypothesis(Some(part)) => write!(
                f,
                "hypothesis.{}",
                match part {
                    HypothesisPart::Change => "change",
                    HypothesisPart::From => "from",
                    HypothesisPart::To => "to",
                    HypothesisPart::Because => "because",
                }
            ),
            P::Primary(None) => f.write_str("primary"),
            P::Primary(Some(part)) => write!(f, "primary.{}", metric(part)),
            P::Secondary(None) => f.write_str("secondary"),
            P::Secondary(Some((i, None))) => write!(f, "secondary[{i}]"),
            P::Secondary(Some((i, Some(part)))) => write!(f, "secondary[{i}].{}", metric(part)),
            P::BaselineRate => f.write_str("baseline_rate"),
            P::BaselineMean => f.write_str("baseline_mean"),
            P::BaselineSd => f.write_str("baseline_sd"),
            P::Mde => f.write_str("mde"),
            P::Alpha => f.write_str("alpha"),
            P::Power => f.write_str("power"),
            P::Arms(None) => f.write_str("arms"),
            P::Arms(Some((i, ArmPart::Name))) => write!(f, "arms[{i}].name"),
            P::Arms(Some((i, ArmPart::Weight))) => write!(f, "arms[{i}].weight"),
            P::Exposure => f.write_str("arms.exposure"),
            P::DailyTraffic => f.write_str("daily_traffic"),
            P::WindowDays => f.write_str("window_days"),
            P::PlannedStart => f.write_str("planned_start"),
            P::PlannedEnd => f.write_str("planned_end"),
            P::Rule(None) => f.write_str("rule"),
            P::Rule(Some(part)) => write!(
                f,
                "rule.{}",
                match part {
                    RulePart::MinLift => "min_lift",
                    RulePart::MaxGuardrailDrop => "max_guardrail_drop",
                    RulePart::Engine => "engine",
                    RulePart::Correction => "correction",
                }
            ),
            P::Cuped => f.write_str("cuped"),
            P::Segments => f.write_str("segments"),
            P::Links => f.write_str("links"),
            P::Notes => f.write_str("notes"),
        }
    }
}

/// A string that is not a path into a brief.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a field of a brief")]
pub struct UnknownPath(pub String);

impl FromStr for BriefPath {
    type Err = UnknownPath;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        use BriefPath as P;
        let unknown = || UnknownPath(text.to_owned());
        let metric = |part: &str| MetricPart::ALL.into_iter().find(|p| p.name() == part);
        // `secondary[2].event` -> ("secondary", Some(2), Some("event")).
        let (head, rest) = text
            .split_once('.')
            .map_or((text, None), |(h, r)| (h, Some(r)));
        let (name, index) = match head.split_once('[') {
            Some((name, index)) => {
                let index = index.strip_suffix(']').ok_or_else(unknown)?;
                (name, Some(index.parse::<usize>().map_err(|_| unknown())?))
            }
            None => (head, None),
        };
        let path = match (name, index, rest) {
            ("hypothesis", None, None) => P::Hypothesis(None),
            ("hypothesis", None, Some(part)) => P::Hypothesis(Some(match part {
                "change" => HypothesisPart::Change,
                "from" => HypothesisPart::From,
                "to" => HypothesisPart::To,
                "because" => HypothesisPart::Because,
                _ => return Err(unknown()),
            })),
            ("primary", None, None) => P::Primary(None),
            ("primary", None, Some(part)) => P::Primary(Some(metric(part).ok_or_else(unknown)?)),
            ("secondary", None, None) => P::Secondary(None),
            ("secondary", Some(i), None) => P::Secondary(Some((i, None))),
            ("secondary", Some(i), Some(part)) => {
                P::Secondary(Some((i, Some(metric(part).ok_or_else(unknown)?))))
            }
            ("baseline_rate", None, None) => P::BaselineRate,
            ("baseline_mean", None, None) => P::BaselineMean,
            ("baseline_sd", None, None) => P::BaselineSd,
            ("mde", None, None) => P::Mde,
            ("alpha", None, None) => P::Alpha,
            ("power", None, None) => P::Power,
            ("arms", None, None) => P::Arms(None),
            ("arms", None, Some("exposure")) => P::Exposure,
            ("arms", Some(i), Some("name")) => P::Arms(Some((i, ArmPart::Name))),
            ("arms", Some(i), Some("weight")) => P::Arms(Some((i, ArmPart::Weight))),
            ("daily_traffic", None, None) => P::DailyTraffic,
            ("window_days", None, None) => P::WindowDays,
            ("planned_start", None, None) => P::PlannedStart,
            ("planned_end", None, None) => P::PlannedEnd,
            ("rule", None, None) => P::Rule(None),
            ("rule", None, Some(part)) => P::Rule(Some(match part {
                "min_lift" => RulePart::MinLift,
                "max_guardrail_drop" => RulePart::MaxGuardrailDrop,
                "engine" => RulePart::Engine,
                "correction" => RulePart::Correction,
                _ => return Err(unknown()),
            })),
            ("cuped", None, None) => P::Cuped,
            ("segments", None, None) => P::Segments,
            ("links", None, None) => P::Links,
            ("notes", None, None) => P::Notes,
            _ => return Err(unknown()),
        };
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path, with a few indexes: printing then parsing gives it back.
    fn every_path() -> Vec<BriefPath> {
        use BriefPath as P;
        let metric = MetricPart::ALL;
        let mut all = vec![
            P::Hypothesis(None),
            P::Primary(None),
            P::Secondary(None),
            P::BaselineRate,
            P::BaselineMean,
            P::BaselineSd,
            P::Mde,
            P::Alpha,
            P::Power,
            P::Arms(None),
            P::Exposure,
            P::DailyTraffic,
            P::WindowDays,
            P::PlannedStart,
            P::PlannedEnd,
            P::Rule(None),
            P::Cuped,
            P::Segments,
            P::Links,
            P::Notes,
        ];
        for part in [
            HypothesisPart::Change,
            HypothesisPart::From,
            HypothesisPart::To,
            HypothesisPart::Because,
        ] {
            all.push(P::Hypothesis(Some(part)));
        }
        for part in metric {
            all.push(P::Primary(Some(part)));
            all.push(P::Secondary(Some((2, Some(part)))));
        }
        all.push(P::Secondary(Some((0, None))));
        for i in [0, 11] {
            all.push(P::Arms(Some((i, ArmPart::Name))));
            all.push(P::Arms(Some((i, ArmPart::Weight))));
        }
        for part in [
            RulePart::MinLift,
            RulePart::MaxGuardrailDrop,
            RulePart::Engine,
            RulePart::Correction,
        ] {
            all.push(P::Rule(Some(part)));
        }
        all
    }

    #[test]
    fn every_path_prints_as_the_form_names_it_and_parses_back() {
        for path in every_path() {
            let text = path.to_string();
            assert_eq!(text.parse::<BriefPath>(), Ok(path), "{text}");
            assert!(SECTIONS.contains(&path.section()), "{text}");
        }
        assert_eq!(
            BriefPath::Secondary(Some((1, Some(MetricPart::ValueProperty)))).to_string(),
            "secondary[1].value_property"
        );
        for bad in [
            "",
            "hypothesis.why",
            "arms[x].name",
            "arms[0]",
            "secondary[1",
            "budget",
        ] {
            assert_eq!(
                bad.parse::<BriefPath>(),
                Err(UnknownPath(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_path_names_the_field_an_amendment_of_it_changes() {
        assert_eq!(
            "secondary[1].event"
                .parse::<BriefPath>()
                .map(BriefPath::field),
            Ok(BriefField::Guardrails)
        );
        assert_eq!(BriefPath::WindowDays.field(), BriefField::ConversionWindow);
        assert_eq!(BriefPath::Exposure.section(), "arms");
    }
}
