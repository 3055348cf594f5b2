//! Vocabulary shared by briefs, the statistics engine and the decision rule: what kind of number a
//! metric is, which way is better, and which engine and correction a test uses. Serialised names
//! are the stable JSON contract of ../shared/STATISTICS.md section 7.

use serde::{Deserialize, Serialize};

/// A conversion rate (users who did X / users exposed) or a per-user mean (revenue, sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    #[default]
    Proportion,
    Mean,
    /// Sum of one per-user value over sum of another (revenue per order), by the delta method.
    Ratio,
}

/// What a brief's metric measures per exposed user, and so which statistic analyses it. The
/// serialised names of the first two are the ones briefs were stored with before the other
/// kinds existed (`proportion`, `mean`), so old briefs read unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Did the user do EVENT within the window (a conversion rate).
    #[default]
    Proportion,
    /// The sum of a numeric property of EVENT within the window (revenue per user).
    Mean,
    /// How many EVENT events within the window (sessions, searches per user).
    Count,
    /// Did the user do EVENT (or anything, `*`) on day N after exposure.
    Retention,
    /// Sum of one per-user value over the sum of another, per arm (revenue per order).
    Ratio,
}

impl Measure {
    /// The statistic the engine analyses this measure with.
    pub fn statistic(self) -> MetricKind {
        match self {
            Measure::Proportion | Measure::Retention => MetricKind::Proportion,
            Measure::Mean | Measure::Count => MetricKind::Mean,
            Measure::Ratio => MetricKind::Ratio,
        }
    }

    /// A per-user number that can be winsorized (a sum or a count; a ratio's numerator).
    pub fn can_cap(self) -> bool {
        matches!(self, Measure::Mean | Measure::Count | Measure::Ratio)
    }
}

/// Which way is better. A bounce rate is a `Decrease` metric: it wins when it goes down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Increase,
    Decrease,
}

/// The primary metric decides; secondary (guardrail) metrics can only veto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MetricRole {
    Primary,
    Secondary,
}

/// Which test the decision rule uses; fixed in the brief before launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    #[default]
    Frequentist,
    Sequential,
    Bayesian,
}

/// Multiple-testing correction applied within the primary and within the secondary family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    #[default]
    Holm,
    Bonferroni,
    #[serde(rename = "bh")]
    BenjaminiHochberg,
    None,
}

/// `slugs!` plus the name people read.
macro_rules! labels {
    ($ty:ident { $($variant:ident => $slug:literal, $label:literal),+ $(,)? }) => {
        crate::domain::slugs!($ty { $($variant => $slug),+ });
        impl $ty {
            /// The name people read.
            pub fn label(self) -> &'static str { match self { $($ty::$variant => $label),+ } }
        }
    };
}

labels!(MetricKind { Proportion => "proportion", "Conversion rate", Mean => "mean", "Mean per user", Ratio => "ratio", "Ratio of two sums" });

labels!(Measure {
    Proportion => "proportion", "Conversion rate",
    Mean => "mean", "Sum of a property per user",
    Count => "count", "Count per user",
    Retention => "retention", "Retention on day N",
    Ratio => "ratio", "Ratio of two sums",
});
labels!(Direction { Increase => "increase", "Higher is better", Decrease => "decrease", "Lower is better" });
labels!(Engine { Frequentist => "frequentist", "Fixed horizon", Sequential => "sequential", "Sequential", Bayesian => "bayesian", "Bayesian" });
labels!(Correction { Holm => "holm", "Holm", Bonferroni => "bonferroni", "Bonferroni", BenjaminiHochberg => "bh", "Benjamini-Hochberg", None => "none", "None" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slug_round_trips_through_json_and_from_slug() {
        crate::domain::tests::slugs_match_json(
            &MetricKind::ALL,
            MetricKind::slug,
            MetricKind::from_slug,
        );
        crate::domain::tests::slugs_match_json(&Measure::ALL, Measure::slug, Measure::from_slug);
        crate::domain::tests::slugs_match_json(
            &Direction::ALL,
            Direction::slug,
            Direction::from_slug,
        );
        crate::domain::tests::slugs_match_json(&Engine::ALL, Engine::slug, Engine::from_slug);
        crate::domain::tests::slugs_match_json(
            &Correction::ALL,
            Correction::slug,
            Correction::from_slug,
        );
    }
}
