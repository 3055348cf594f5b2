//! What to attribute: the exposure convention, which experiments, the metric events, the value
//! metrics, the conversion window and the run's dates. Parsed once, before any line is read.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::amount::Decimal;

/// The brief's default conversion window.
pub const DEFAULT_WINDOW_DAYS: u32 = 14;
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// A derived segment rather than a property: `returning` when the user had any event (other
/// than an exposure event) before the pre-exposure period (before `t0 - pre_days`, or before
/// `t0` without one), else `new`. It reads every event's time, as `*` retention does.
pub const NEW_VS_RETURNING: &str = "#new_vs_returning";
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
    #[error(
        "retention `{0}` must be written EVENT:N (EVENT may be *, N a whole number of days from 0)"
    )]
    BadRetention(String),
    #[error("ratio `{0}` must be written A/B, each side EVENT:PROPERTY or EVENT:#count")]
    BadRatio(String),
    #[error("cap `{0}` must be written SPEC:pNN (a percentile, 0 < NN <= 100) or SPEC:X (a number), for a --value or --count spec that is also asked for")]
    BadCap(String),
    #[error("the pre-exposure period must be 1 to {MAX_WINDOW_DAYS} days, got {0}")]
    PreDaysOutOfRange(u32),
    #[error("segment property names must not be empty")]
    EmptySegment,
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

/// The pseudo-property of a count metric: per exposed user, the number of `event`s.
pub const COUNT_PROPERTY: &str = "#count";

/// A mean metric: per exposed user, the sum of `property` over their counted `event`s, or
/// their number of `event`s when the property is [`COUNT_PROPERTY`] (`EVENT:#count`).
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

    /// The count metric of `event`: its events per exposed user.
    pub fn count(event: &str) -> Result<Self, ConfigError> {
        Self::new(event, COUNT_PROPERTY)
    }

    pub fn is_count(&self) -> bool {
        self.property == COUNT_PROPERTY
    }

    pub fn event(&self) -> &str {
        &self.event
    }

    pub fn property(&self) -> &str {
        &self.property
    }
}

/// Which events keep a user "retained".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RetentionEvent {
    Named(String),
    /// `*`: any event but one named like the exposure event.
    Any,
}

/// Retained on day N: an event in `[t0 + N days, t0 + N + 1 days)`, whatever the window.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Retention {
    pub event: RetentionEvent,
    pub day: u32,
    /// The spec as given (`*:7`), the report's key.
    pub spec: String,
}

impl Retention {
    /// Parses `EVENT:N`, split at the last `:`.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::BadRetention(spec.to_owned());
        let (event, day) = spec.rsplit_once(':').ok_or_else(bad)?;
        let day: u32 = day.parse().map_err(|_| bad())?;
        if event.is_empty() || day >= MAX_WINDOW_DAYS {
            return Err(bad());
        }
        let event = if event == "*" {
            RetentionEvent::Any
        } else {
            RetentionEvent::Named(event.to_owned())
        };
        Ok(Self {
            event,
            day,
            spec: spec.to_owned(),
        })
    }

    /// `[t0 + N days, t0 + N + 1 days)`.
    pub fn contains(&self, t0: i64, t: i64) -> bool {
        let start = t0.saturating_add(i64::from(self.day) * SECONDS_PER_DAY);
        start <= t && t < start.saturating_add(SECONDS_PER_DAY)
    }
}

/// A ratio of two per-user values (sum of A over sum of B per arm, by the delta method).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ratio {
    pub numerator: ValueMetric,
    pub denominator: ValueMetric,
    /// The spec as given (`purchase:amount/purchase:#count`), the report's key.
    pub spec: String,
}

impl Ratio {
    /// Parses `A/B`, splitting at the one `/` that leaves a valid value spec on both sides
    /// (event names may contain `/`).
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let splits: Vec<(ValueMetric, ValueMetric)> = spec
            .match_indices('/')
            .filter_map(|(at, _)| {
                let a = ValueMetric::parse(&spec[..at]).ok()?;
                let b = ValueMetric::parse(&spec[at + 1..]).ok()?;
                Some((a, b))
            })
            .collect();
        match <[_; 1]>::try_from(splits) {
            Ok([(numerator, denominator)]) => Ok(Self {
                numerator,
                denominator,
                spec: spec.to_owned(),
            }),
            Err(_) => Err(ConfigError::BadRatio(spec.to_owned())),
        }
    }
}

/// Where a value metric is winsorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapAt {
    /// The NN-th percentile (nearest rank) of all counted users' values, arms pooled; NN is
    /// kept exact so the rank `ceil(NN * N / 100)` is computed without rounding.
    Percentile(Decimal),
    /// A fixed number, as written.
    Fixed(Decimal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    pub metric: ValueMetric,
    pub at: CapAt,
}

impl Cap {
    /// Parses `SPEC:pNN` or `SPEC:X`, SPEC being `EVENT:PROPERTY` or `EVENT:#count`.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::BadCap(spec.to_owned());
        let (metric, at) = spec.rsplit_once(':').ok_or_else(bad)?;
        let metric = ValueMetric::parse(metric).map_err(|_| bad())?;
        let at = match at.strip_prefix('p') {
            Some(nn) => {
                let nn = Decimal::parse(nn).ok_or_else(bad)?;
                let hundred = Decimal::new(100 * 10i128.pow(nn.scale()), nn.scale());
                if nn.units() <= 0 || nn.units() > hundred.units() {
                    return Err(bad());
                }
                CapAt::Percentile(nn)
            }
            None => CapAt::Fixed(Decimal::parse(at).ok_or_else(bad)?),
        };
        Ok(Self { metric, at })
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

    /// `(start, end)`, the end exclusive.
    pub fn bounds(self) -> (i64, i64) {
        (self.start, self.end)
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
        let Self::Local(zone) = self else {
            return time;
        };
        match chrono::DateTime::from_timestamp(time, 0) {
            Some(at) => local_to_utc(zone, at.naive_utc()),
            None => time,
        }
    }
}

/// Unix seconds of the wall-clock time `local` in `zone`: the earlier instant when the time
/// occurs twice (clocks going back), and under the offset in force before the change when it
/// never occurs (the hour skipped going forward), as a wall clock not yet moved would read it.
pub fn local_to_utc(zone: chrono_tz::Tz, local: chrono::NaiveDateTime) -> i64 {
    use chrono::{LocalResult, Offset, TimeZone};
    let offset = match zone.offset_from_local_datetime(&local) {
        LocalResult::Single(offset) | LocalResult::Ambiguous(offset, _) => offset,
        // A day before the skipped hour the old offset is surely in force, east or west.
        LocalResult::None => zone.offset_from_utc_datetime(&(local - chrono::Duration::days(1))),
    };
    local.and_utc().timestamp() - i64::from(offset.fix().local_minus_utc())
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
    /// Retention on day N, each reported under its spec.
    pub retention: Vec<Retention>,
    /// Ratios of two value specs (each also computed as a value of its own).
    pub ratios: Vec<Ratio>,
    /// Winsorized value specs (each must also be in `values`).
    pub caps: Vec<Cap>,
    /// The pre-exposure period, in days, for covariates (CUPED, the pre-period check).
    pub pre_days: Option<u32>,
    /// Properties of the first exposure event to break every arm down by, or
    /// [`NEW_VS_RETURNING`].
    pub segments: Vec<String>,
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
            retention: Vec::new(),
            ratios: Vec::new(),
            caps: Vec::new(),
            pre_days: None,
            segments: Vec::new(),
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
        if self.segments.iter().any(String::is_empty) {
            return Err(ConfigError::EmptySegment);
        }
        if let Some(days) = self.pre_days {
            if days == 0 || days > MAX_WINDOW_DAYS {
                return Err(ConfigError::PreDaysOutOfRange(days));
            }
        }
        for cap in &self.caps {
            if !self.values.contains(&cap.metric) {
                let at = match cap.at {
                    CapAt::Percentile(nn) => format!("p{nn}"),
                    CapAt::Fixed(x) => x.to_string(),
                };
                return Err(ConfigError::BadCap(format!(
                    "{}:{}:{at}",
                    cap.metric.event(),
                    cap.metric.property()
                )));
            }
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
        // East of UTC too: Berlin's 2024-03-31 02:30 never happens; CET (UTC+1) applies.
        let berlin = Clock::local("Europe/Berlin").expect("known zone");
        assert_eq!(berlin.to_utc(1_711_852_200), 1_711_852_200 - 3600);
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
