//! What to attribute: the exposure convention, which experiments, the metric events, the value
//! metrics, the conversion window and the run's dates. Parsed once, before any line is read.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The brief's default conversion window.
pub const DEFAULT_WINDOW_DAYS: u32 = 14;
const SECONDS_PER_DAY: i64 = 86_400;
/// Longer windows than ten years are typos, and the limit keeps `t0 + window` far from overflow.
const MAX_WINDOW_DAYS: u32 = 3_650;

/// A configuration the attributor cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("unknown exposure convention `{0}`: expected mixpanel, optimizely or amplitude")]
    UnknownConvention(String),
    #[error("value metric `{0}` must be written EVENT:PROPERTY with both parts non-empty")]
    BadValueMetric(String),
    #[error("the conversion window must be between 1 and {MAX_WINDOW_DAYS} days, got {0} days")]
    WindowOutOfRange(u32),
    #[error("the conversion window must be longer than zero seconds, got {0}")]
    NonPositiveWindow(i64),
    #[error(
        "the run's date range is empty: it starts at {start} and ends at {end} (unix seconds)"
    )]
    EmptyRunRange { start: i64, end: i64 },
    #[error("{0} names must not be empty")]
    EmptyName(&'static str),
}

/// How a tool records that a user saw an arm: the event and the two properties naming the
/// experiment and the arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExposureConvention {
    /// Mixpanel's own `$experiment_started` with `Experiment name` / `Variant name`.
    Mixpanel,
    /// Optimizely through Mixpanel: `Experiment Viewed` with `flag_key` / `variation_key`.
    Optimizely,
    /// Amplitude Experiment: `$exposure` with `flag_key` / `variant`.
    Amplitude,
    /// Any other event and property pair.
    Custom {
        event: String,
        experiment_property: String,
        variant_property: String,
    },
}

impl ExposureConvention {
    pub fn event(&self) -> &str {
        match self {
            Self::Mixpanel => "$experiment_started",
            Self::Optimizely => "Experiment Viewed",
            Self::Amplitude => "$exposure",
            Self::Custom { event, .. } => event,
        }
    }

    pub fn experiment_property(&self) -> &str {
        match self {
            Self::Mixpanel => "Experiment name",
            Self::Optimizely | Self::Amplitude => "flag_key",
            Self::Custom {
                experiment_property,
                ..
            } => experiment_property,
        }
    }

    pub fn variant_property(&self) -> &str {
        match self {
            Self::Mixpanel => "Variant name",
            Self::Optimizely => "variation_key",
            Self::Amplitude => "variant",
            Self::Custom {
                variant_property, ..
            } => variant_property,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.event().is_empty() {
            return Err(ConfigError::EmptyName("exposure event"));
        }
        if self.experiment_property().is_empty() || self.variant_property().is_empty() {
            return Err(ConfigError::EmptyName("exposure property"));
        }
        Ok(())
    }
}

impl FromStr for ExposureConvention {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "mixpanel" => Ok(Self::Mixpanel),
            "optimizely" => Ok(Self::Optimizely),
            "amplitude" => Ok(Self::Amplitude),
            _ => Err(ConfigError::UnknownConvention(name.to_owned())),
        }
    }
}

/// A mean metric: per exposed user, the sum of `property` over their counted `event`s.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueMetric {
    event: String,
    property: String,
}

impl ValueMetric {
    pub fn new(event: &str, property: &str) -> Result<Self, ConfigError> {
        if event.is_empty() || property.is_empty() {
            return Err(ConfigError::BadValueMetric(format!("{event}:{property}")));
        }
        Ok(Self {
            event: event.to_owned(),
            property: property.to_owned(),
        })
    }

    /// Parses `EVENT:PROPERTY`. The split is at the last `:`, because event names such as
    /// `Checkout: Completed` contain colons far more often than property names do.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let (event, property) = spec
            .rsplit_once(':')
            .ok_or_else(|| ConfigError::BadValueMetric(spec.to_owned()))?;
        Self::new(event, property).map_err(|_| ConfigError::BadValueMetric(spec.to_owned()))
    }

    pub fn event(&self) -> &str {
        &self.event
    }

    pub fn property(&self) -> &str {
        &self.property
    }
}

/// Reported as `EVENT.PROPERTY`, the key used in reports.
impl fmt::Display for ValueMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.event, self.property)
    }
}

/// The conversion window after a user's first exposure, half-open: `[t0, t0 + window)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    seconds: i64,
}

impl Window {
    pub fn days(days: u32) -> Result<Self, ConfigError> {
        if days == 0 || days > MAX_WINDOW_DAYS {
            return Err(ConfigError::WindowOutOfRange(days));
        }
        Ok(Self {
            seconds: i64::from(days) * SECONDS_PER_DAY,
        })
    }

    pub fn seconds(seconds: i64) -> Result<Self, ConfigError> {
        if seconds <= 0 {
            return Err(ConfigError::NonPositiveWindow(seconds));
        }
        Ok(Self {
            seconds: seconds.min(i64::from(MAX_WINDOW_DAYS) * SECONDS_PER_DAY),
        })
    }

    pub fn as_seconds(self) -> i64 {
        self.seconds
    }

    /// Whether an event at `t` counts for a user first exposed at `t0`.
    pub fn contains(self, t0: i64, t: i64) -> bool {
        t0 <= t && t < t0.saturating_add(self.seconds)
    }
}

impl Default for Window {
    fn default() -> Self {
        Self {
            seconds: i64::from(DEFAULT_WINDOW_DAYS) * SECONDS_PER_DAY,
        }
    }
}

/// The run's dates as unix seconds, half-open `[start, end)`; exposures outside are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    start: i64,
    end: i64,
}

impl TimeRange {
    pub fn new(start: i64, end: i64) -> Result<Self, ConfigError> {
        if start >= end {
            return Err(ConfigError::EmptyRunRange { start, end });
        }
        Ok(Self { start, end })
    }

    pub fn contains(self, t: i64) -> bool {
        self.start <= t && t < self.end
    }
}

/// Everything the attributor needs to know before reading a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub convention: ExposureConvention,
    /// Experiments to report; empty means every experiment found.
    pub experiments: Vec<String>,
    /// Conversion events: a user converts when one falls in their window.
    pub metrics: Vec<String>,
    pub values: Vec<ValueMetric>,
    pub window: Window,
    pub run: Option<TimeRange>,
}

impl Config {
    /// A configuration with the default window, no filter and no metrics yet.
    pub fn new(convention: ExposureConvention) -> Self {
        Self {
            convention,
            experiments: Vec::new(),
            metrics: Vec::new(),
            values: Vec::new(),
            window: Window::default(),
            run: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.convention.validate()?;
        if self.experiments.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyName("experiment"));
        }
        if self.metrics.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyName("metric event"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions_name_their_event_and_properties() {
        let amplitude: ExposureConvention = "Amplitude".parse().expect("known convention");
        assert_eq!(amplitude.event(), "$exposure");
        assert_eq!(amplitude.experiment_property(), "flag_key");
        assert_eq!(amplitude.variant_property(), "variant");
        let optimizely: ExposureConvention = "optimizely".parse().expect("known convention");
        assert_eq!(optimizely.variant_property(), "variation_key");
        assert_eq!(
            "statsig".parse::<ExposureConvention>(),
            Err(ConfigError::UnknownConvention("statsig".into()))
        );
    }

    #[test]
    fn value_metric_splits_at_the_last_colon() {
        let metric = ValueMetric::parse("Checkout: Completed:amount").expect("valid spec");
        assert_eq!(metric.event(), "Checkout: Completed");
        assert_eq!(metric.property(), "amount");
        assert_eq!(metric.to_string(), "Checkout: Completed.amount");
        for bad in ["amount", ":amount", "purchase:"] {
            assert_eq!(
                ValueMetric::parse(bad),
                Err(ConfigError::BadValueMetric(bad.into()))
            );
        }
    }

    #[test]
    fn window_is_half_open() {
        let window = Window::days(14).expect("valid window");
        let t0 = 1_714_521_600;
        assert!(window.contains(t0, t0));
        assert!(!window.contains(t0, t0 - 1));
        assert!(window.contains(t0, t0 + 14 * 86_400 - 1));
        assert!(!window.contains(t0, t0 + 14 * 86_400));
        assert_eq!(Window::days(0), Err(ConfigError::WindowOutOfRange(0)));
    }

    #[test]
    fn empty_names_and_ranges_are_rejected() {
        let mut config = Config::new(ExposureConvention::Mixpanel);
        config.metrics.push(String::new());
        assert_eq!(
            config.validate(),
            Err(ConfigError::EmptyName("metric event"))
        );
        assert!(TimeRange::new(10, 10).is_err());
    }
}
