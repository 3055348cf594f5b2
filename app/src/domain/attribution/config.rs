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
    #[error("unknown time zone `{0}`: expected an IANA name such as America/Los_Angeles")]
    UnknownTimeZone(String),
}

/// How a tool records that a user saw an arm: the event and the two properties naming the
/// experiment and the arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExposureConvention {
    /// Mixpanel's own `$experiment_started` with `Experiment name` / `Variant name`.
    Mixpanel,
    /// Optimizely through Mixpanel: `Experiment Viewed` with `flag_key` / `variation_key`; the
    /// experiment is the rule (`rule_key`, Optimizely's experiment key), else the flag.
    Optimizely,
    /// Amplitude Experiment: `$exposure` with `flag_key` / `variant`; the experiment is
    /// `experiment_key` when several experiments share the flag, else the flag.
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

    /// The property that names the experiment ahead of [`experiment_property`] when it holds a
    /// non-empty string: Optimizely's `rule_key` (one flag holds several A/B and delivery rules)
    /// and Amplitude's `experiment_key` (several experiments on one flag). For these two
    /// conventions [`experiment_property`] is the flag, the fallback.
    ///
    /// [`experiment_property`]: Self::experiment_property
    pub fn experiment_key_property(&self) -> Option<&str> {
        match self {
            Self::Optimizely => Some("rule_key"),
            Self::Amplitude => Some("experiment_key"),
            Self::Mixpanel | Self::Custom { .. } => None,
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

/// How the export writes `properties.time`. Mixpanel projects created before 2023 export the
/// project's local wall-clock time as if it were UTC ("shifted by the UTC offset"); newer ones
/// export true Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    Utc,
    /// `time` is local wall-clock time in this zone; attribution converts it to UTC.
    Local(chrono_tz::Tz),
}

impl Clock {
    /// `Local` in the named IANA zone.
    pub fn local(zone: &str) -> Result<Self, ConfigError> {
        zone.parse::<chrono_tz::Tz>()
            .map(Self::Local)
            .map_err(|_| ConfigError::UnknownTimeZone(zone.to_owned()))
    }

    /// Unix seconds for an exported `time`. A local time that occurs twice (the hour after
    /// clocks go back) takes the earlier instant; one that never occurs (the hour skipped when
    /// clocks go forward) takes the offset in force just before the change, as a wall clock that
    /// was not yet moved would.
    pub fn to_utc(self, time: i64) -> i64 {
        use chrono::{DateTime, LocalResult, Offset, TimeZone};
        let Self::Local(zone) = self else {
            return time;
        };
        let Some(naive) = DateTime::from_timestamp(time, 0).map(|t| t.naive_utc()) else {
            return time;
        };
        let offset = match zone.offset_from_local_datetime(&naive) {
            LocalResult::Single(offset) | LocalResult::Ambiguous(offset, _) => offset,
            LocalResult::None => zone.offset_from_utc_datetime(&naive),
        };
        time - i64::from(offset.fix().local_minus_utc())
    }
}

/// Everything the attributor needs to know before reading a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub convention: ExposureConvention,
    /// Experiments to report; empty means every experiment found.
    pub experiments: Vec<String>,
    /// The flag each experiment is a rule of, when known beforehand (the brief's flag key):
    /// the other rules on it are reported even before the experiment's own exposures arrive.
    pub flag_keys: Vec<(String, String)>,
    /// Conversion events: a user converts when one falls in their window.
    pub metrics: Vec<String>,
    pub values: Vec<ValueMetric>,
    pub window: Window,
    pub run: Option<TimeRange>,
    /// How to read `properties.time`.
    pub clock: Clock,
    /// Where the data ends (unix seconds, exclusive), when known: users whose window reaches
    /// past it are counted as having an incomplete window.
    pub data_end: Option<i64>,
}

impl Config {
    /// A configuration with the default window, no filter and no metrics yet.
    pub fn new(convention: ExposureConvention) -> Self {
        Self {
            convention,
            experiments: Vec::new(),
            flag_keys: Vec::new(),
            metrics: Vec::new(),
            values: Vec::new(),
            window: Window::default(),
            run: None,
            clock: Clock::Utc,
            data_end: None,
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
    fn optimizely_and_amplitude_name_the_experiment_by_its_key_before_the_flag() {
        assert_eq!(
            ExposureConvention::Optimizely.experiment_key_property(),
            Some("rule_key")
        );
        assert_eq!(
            ExposureConvention::Amplitude.experiment_key_property(),
            Some("experiment_key")
        );
        assert_eq!(ExposureConvention::Mixpanel.experiment_key_property(), None);
    }

    #[test]
    fn local_clock_converts_wall_time_to_utc_across_daylight_saving() {
        let clock = Clock::local("America/Los_Angeles").expect("known zone");
        // 2024-05-01 00:00 local (PDT, UTC-7) exported as 1714521600.
        assert_eq!(clock.to_utc(1_714_521_600), 1_714_521_600 + 7 * 3600);
        // 2024-01-15 12:00 local (PST, UTC-8).
        assert_eq!(clock.to_utc(1_705_320_000), 1_705_320_000 + 8 * 3600);
        // 2024-11-03 01:30 local happens twice: the first (PDT) is taken.
        assert_eq!(clock.to_utc(1_730_597_400), 1_730_597_400 + 7 * 3600);
        // 2024-03-10 02:30 local never happens: the offset before the jump (PST) is used.
        assert_eq!(clock.to_utc(1_710_037_800), 1_710_037_800 + 8 * 3600);
        assert_eq!(Clock::Utc.to_utc(17), 17);
        assert_eq!(
            Clock::local("Mars/Olympus"),
            Err(ConfigError::UnknownTimeZone("Mars/Olympus".into()))
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
