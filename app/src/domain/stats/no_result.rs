//! Why a comparison has no result. Some data cannot give a lift, an interval or a p-value (a
//! control with 0% conversion, an arm where everyone converted, an empty arm); the engine says so
//! in words instead of inventing numbers (gbstats returns 0, [0, 0] and p = 1 there, which reads
//! like a confident "no effect"). On the wire the reason is its English sentence; `FromStr` reads
//! that sentence back, so a response survives a round trip through JSON.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::summary::Side;
use crate::domain::metric::MetricKind;

/// The reason a comparison has no numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoResult {
    /// An arm has n = 0.
    EmptyArm(Side),
    /// The control mean is 0, so a relative lift divides by zero.
    ZeroBaseline(MetricKind),
    /// An arm has no spread, so there is no standard error to build an interval from.
    ZeroVariance(Side, Degenerate),
    /// Inputs so extreme (e.g. means near 1e300) that the arithmetic overflows or underflows.
    OutOfRange,
}

/// How an arm ended up with zero variance; it decides the words shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Degenerate {
    NoConversions,
    AllConverted,
    SingleObservation,
    ConstantValues,
}

impl NoResult {
    /// Every reason, for reading one back from its sentence.
    pub const ALL: [NoResult; 14] = [
        NoResult::EmptyArm(Side::Control),
        NoResult::EmptyArm(Side::Treatment),
        NoResult::ZeroBaseline(MetricKind::Proportion),
        NoResult::ZeroBaseline(MetricKind::Mean),
        NoResult::ZeroBaseline(MetricKind::Ratio),
        NoResult::ZeroVariance(Side::Control, Degenerate::NoConversions),
        NoResult::ZeroVariance(Side::Control, Degenerate::AllConverted),
        NoResult::ZeroVariance(Side::Control, Degenerate::SingleObservation),
        NoResult::ZeroVariance(Side::Control, Degenerate::ConstantValues),
        NoResult::ZeroVariance(Side::Treatment, Degenerate::NoConversions),
        NoResult::ZeroVariance(Side::Treatment, Degenerate::AllConverted),
        NoResult::ZeroVariance(Side::Treatment, Degenerate::SingleObservation),
        NoResult::ZeroVariance(Side::Treatment, Degenerate::ConstantValues),
        NoResult::OutOfRange,
    ];

    /// A stable machine name (CSS classes, the reference table), independent of the wording.
    pub fn code(self) -> &'static str {
        match self {
            NoResult::EmptyArm(Side::Control) => "empty_control",
            NoResult::EmptyArm(Side::Treatment) => "empty_treatment",
            NoResult::ZeroBaseline(_) => "zero_baseline",
            NoResult::ZeroVariance(Side::Control, _) => "zero_variance_control",
            NoResult::ZeroVariance(Side::Treatment, _) => "zero_variance_treatment",
            NoResult::OutOfRange => "out_of_range",
        }
    }
}

impl fmt::Display for NoResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NO_SPREAD: &str = "with no spread there is no interval or p-value";
        match self {
            NoResult::EmptyArm(side) => {
                write!(f, "{side} has no users: there is nothing to compare")
            }
            NoResult::ZeroBaseline(MetricKind::Proportion) => {
                write!(f, "control has 0% conversion: relative lift is undefined")
            }
            NoResult::ZeroBaseline(MetricKind::Mean) => {
                write!(f, "control mean is 0: relative lift is undefined")
            }
            NoResult::ZeroBaseline(MetricKind::Ratio) => {
                write!(f, "control ratio is 0: relative lift is undefined")
            }
            NoResult::ZeroVariance(side, Degenerate::NoConversions) => {
                write!(f, "{side} has 0% conversion: {NO_SPREAD}")
            }
            NoResult::ZeroVariance(side, Degenerate::AllConverted) => {
                write!(f, "{side} has 100% conversion: {NO_SPREAD}")
            }
            NoResult::ZeroVariance(side, Degenerate::SingleObservation) => {
                write!(f, "{side} has a single user: its variance is unknown, so there is no interval or p-value")
            }
            NoResult::ZeroVariance(side, Degenerate::ConstantValues) => {
                write!(f, "{side} has the same value for every user: {NO_SPREAD}")
            }
            NoResult::OutOfRange => write!(f, "the numbers are too extreme to compute reliably"),
        }
    }
}

/// The sentence was not one [`NoResult`] writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a known no-result reason: {0:?}")]
pub struct UnknownReason(pub String);

impl FromStr for NoResult {
    type Err = UnknownReason;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoResult::ALL
            .into_iter()
            .find(|reason| reason.to_string() == s)
            .ok_or_else(|| UnknownReason(s.to_owned()))
    }
}

impl Serialize for NoResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NoResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let sentence = String::deserialize(d)?;
        sentence.parse().map_err(serde::de::Error::custom)
    }
}

/// Documented as what it is on the wire: one of the sentences, every one listed.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for NoResult {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("Why the comparison has no numbers, in words"))
            .enum_values(Some(NoResult::ALL.map(|r| r.to_string())))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for NoResult {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_sentence_and_no_two_share_one() {
        for reason in NoResult::ALL {
            assert_eq!(reason.to_string().parse::<NoResult>(), Ok(reason));
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(serde_json::from_str::<NoResult>(&json).unwrap(), reason);
        }
    }

    #[test]
    fn the_zero_baseline_sentence_is_the_one_the_ui_shows() {
        assert_eq!(
            NoResult::ZeroBaseline(MetricKind::Proportion).to_string(),
            "control has 0% conversion: relative lift is undefined"
        );
        assert!("made up".parse::<NoResult>().is_err());
    }
}
