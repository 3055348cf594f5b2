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
    /// Optimizely through Mixpanel: `Experiment Viewed` with `flag_key` / `variation_key`. The
    /// experiment's key is the rule key (Optimizely's experiment key); `flag_key` is the flag
    /// that holds the rule, so the other rules on it (rollouts, other tests) can be reported.
    Optimizely {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        flag_key: String,
    },
    /// Amplitude's `$exposure` with `flag_key` / `variant`; the experiment's key is the
    /// `experiment_key` when experiments share the flag, else the flag key itself.
    Amplitude {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        flag_key: String,
    },
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
            Exposure::Optimizely { .. } => C::Optimizely,
            Exposure::Amplitude { .. } => C::Amplitude,
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

    /// The flag the experiment is a rule of, when the brief names one.
    pub fn flag_key(&self) -> Option<&str> {
        match self {
            Exposure::Optimizely { flag_key } | Exposure::Amplitude { flag_key } => {
                Some(flag_key.as_str()).filter(|f| !f.is_empty())
            }
            Exposure::Mixpanel | Exposure::Custom { .. } => None,
        }
    }

    /// The flag key's field, for the editor (None for conventions without flags).
    pub fn flag_key_mut(&mut self) -> Option<&mut String> {
        match self {
            Exposure::Optimizely { flag_key } | Exposure::Amplitude { flag_key } => Some(flag_key),
            Exposure::Mixpanel | Exposure::Custom { .. } => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Exposure::Mixpanel => "Mixpanel $experiment_started",
            Exposure::Optimizely { .. } => "Optimizely Experiment Viewed",
            Exposure::Amplitude { .. } => "Amplitude $exposure",
            Exposure::Custom { .. } => "custom event",
        }
    }
}
