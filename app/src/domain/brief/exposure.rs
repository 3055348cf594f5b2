//! How the analytics tool records that a user saw an arm, chosen per experiment.

use serde::{Deserialize, Serialize};

use crate::domain::attribution::ExposureConvention;

/// The exposure event and properties an experiment is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    pub fn convention(&self) -> ExposureConvention {
        use ExposureConvention as C;
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
