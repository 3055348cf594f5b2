//! What an attribution run produces: per-experiment, per-arm counts, plus the bookkeeping a
//! caller needs to decide whether to trust them (skipped lines, duplicates).

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use super::amount::Quantity;
use super::config::ConfigError;

/// The brief's rule: a pull with more than 1% malformed lines fails and stores nothing.
pub const MAX_SKIPPED_RATIO: f64 = 0.01;
/// How many skipped lines are reported by number; enough to find the pattern in an editor.
pub const SKIPPED_LINES_KEPT: usize = 5;

/// Everything an attribution run counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Lines read, blank ones included, so line numbers match an editor's.
    pub lines: u64,
    pub bytes: u64,
    /// Valid lines whose event is an exposure or a metric event.
    pub events: u64,
    /// Metric events dropped as repeats of another (event, distinct_id, time, `$insert_id`);
    /// the copy Mixpanel would keep (largest `mp_processing_time_ms`) is the one counted.
    pub duplicates: u64,
    /// Valid events sent with `distinct_id: ""` (tied to no user): never exposures or
    /// conversions, reported apart so they neither vanish nor count as malformed.
    pub anonymous_events: u64,
    /// The latest exposure or metric event time read (UTC seconds): how far the data reached.
    pub latest_event: Option<i64>,
    pub skipped: SkippedLines,
    pub experiments: BTreeMap<String, ExperimentCounts>,
}

impl Report {
    /// Skipped lines as a share of all lines (0 for an empty input).
    pub fn skipped_ratio(&self) -> f64 {
        if self.lines == 0 {
            0.0
        } else {
            self.skipped.count as f64 / self.lines as f64
        }
    }

    /// Fails when more than `max_ratio` of the lines were skipped (use [`MAX_SKIPPED_RATIO`]).
    pub fn check_skipped(&self, max_ratio: f64) -> Result<(), TooManySkippedLines> {
        if self.skipped_ratio() > max_ratio {
            return Err(TooManySkippedLines {
                skipped: self.skipped.count,
                lines: self.lines,
                max_ratio,
                first: self.skipped.first.clone(),
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentCounts {
    /// Users exposed to two or more arms: excluded from every arm.
    pub multi_arm_users: u64,
    /// The flag the experiment is a rule of (Optimizely, Amplitude), when the events name one.
    pub flag_key: Option<String>,
    /// Exposure events on this experiment's flag that belong to other rules or experiments
    /// (a delivery rule, another test), by their name: not counted.
    pub other_rules_on_flag: BTreeMap<String, u64>,
    /// Counted users whose conversion window reaches past the end of the data: their
    /// conversions so far are counted, the rest of their window is not yet in.
    pub incomplete_windows: u64,
    /// Arms with at least one counted user, by name.
    pub arms: BTreeMap<String, ArmCounts>,
    /// Per segment property, per value (of the user's first exposure), the arms as above.
    /// Only values and arms with a counted user appear.
    pub segments: BTreeMap<String, BTreeMap<String, BTreeMap<String, ArmCounts>>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArmCounts {
    pub exposed: u64,
    /// Users with at least one metric event in their window, by metric event name.
    pub converted: BTreeMap<String, u64>,
    /// Per-user sums of a value property, keyed `EVENT.PROPERTY` (`EVENT.#count` for counts).
    pub values: BTreeMap<String, ValueSums>,
    /// Users retained on day N, keyed by the spec as given (`*:7`).
    pub retained: BTreeMap<String, u64>,
    /// Per ratio spec (`A/B`), the sums the delta method needs.
    pub ratios: BTreeMap<String, RatioSums>,
    /// Per metric (`EVENT`, `EVENT.PROPERTY`, `EVENT.#count`), its pre-exposure covariate.
    pub covariates: BTreeMap<String, CovariateSums>,
}

/// Per arm, for a ratio of per-user values a / b.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioSums {
    pub numerator_sum: Quantity,
    pub numerator_sum_squares: Quantity,
    pub denominator_sum: Quantity,
    pub denominator_sum_squares: Quantity,
    /// Sum of a * b.
    pub cross_sum: Quantity,
}

/// Per arm, a metric's value over the pre-exposure period (pre) beside its value after (post).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CovariateSums {
    pub sum: Quantity,
    pub sum_squares: Quantity,
    /// Sum of post * pre.
    pub cross_sum: Quantity,
}

/// n, sum and sum of squares of per-user totals: enough for a mean and its variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueSums {
    /// Every exposed user of the arm, those without an event contributing 0.
    pub n: u64,
    pub sum: Quantity,
    pub sum_squares: Quantity,
    /// The winsorizing cap applied to each user's value, when one was asked for.
    pub cap: Option<Quantity>,
}

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    InvalidJson,
    MissingEvent,
    MissingTime,
    MissingDistinctId,
    TooLong,
    /// Mixpanel's `terminated early` note; as the last line of an input it fails the run.
    TerminatedEarly,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::InvalidJson => "not valid JSON",
            SkipReason::MissingEvent => "no event name",
            SkipReason::MissingTime => "no numeric properties.time",
            SkipReason::MissingDistinctId => "no properties.distinct_id",
            SkipReason::TooLong => "longer than 8 MiB",
            SkipReason::TerminatedEarly => "the export's `terminated early` note",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number in the input.
    pub line: u64,
    pub reason: SkipReason,
}

/// How many lines were skipped, and the first few of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkippedLines {
    pub count: u64,
    /// The first [`SKIPPED_LINES_KEPT`] skipped lines, in input order.
    pub first: Vec<SkippedLine>,
}

impl SkippedLines {
    pub(crate) fn record(&mut self, line: u64, reason: SkipReason) {
        self.count += 1;
        if self.first.len() < SKIPPED_LINES_KEPT {
            self.first.push(SkippedLine { line, reason });
        }
    }

    /// Appends the skips of input that followed `lines` lines of ours.
    pub(crate) fn append(&mut self, later: SkippedLines, lines: u64) {
        self.count += later.count;
        let room = SKIPPED_LINES_KEPT.saturating_sub(self.first.len());
        self.first.extend(
            later
                .first
                .into_iter()
                .take(room)
                .map(|skipped| SkippedLine {
                    line: skipped.line + lines,
                    ..skipped
                }),
        );
    }
}

/// Lists skipped lines as `3 (not valid JSON), 17 (no properties.distinct_id)`.
pub fn describe_lines(first: &[SkippedLine]) -> String {
    first
        .iter()
        .map(|s| format!("{} ({})", s.line, s.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The input is too broken to trust: more than the allowed share of lines was skipped.
#[derive(Debug, Clone, PartialEq, Error)]
#[error(
    "{skipped} of {lines} lines ({:.2}%) were skipped as malformed or incomplete, more than the \
     {:.2}% allowed; first skipped lines: {}",
    *skipped as f64 * 100.0 / (*lines).max(1) as f64,
    max_ratio * 100.0,
    describe_lines(first)
)]
pub struct TooManySkippedLines {
    pub skipped: u64,
    pub lines: u64,
    pub max_ratio: f64,
    pub first: Vec<SkippedLine>,
}

/// Everything that can go wrong in attribution besides bad lines, which are counted instead.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AttributionError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("attributors with different configurations cannot be merged")]
    ConfigMismatch,
    #[error("the input names more than {limit} distinct users, more than one run may hold")]
    TooManyUsers { limit: u64 },
    #[error(transparent)]
    TooManySkippedLines(#[from] TooManySkippedLines),
    #[error(
        "the export ends with Mixpanel's `terminated early` note: it was cut short and the rest \
         of the data is missing ({})",
        reached_words(*latest_event, chrono_tz::Tz::UTC)
    )]
    Truncated { latest_event: Option<i64> },
}

/// "the data reached 2024-05-12 (UTC)" with the day in `zone`, or that no event was read.
pub fn reached_words(latest_event: Option<i64>, zone: chrono_tz::Tz) -> String {
    match latest_event.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) {
        Some(at) => format!(
            "the data reached {} ({})",
            at.with_timezone(&zone).format("%Y-%m-%d"),
            zone.name()
        ),
        None => "no exposure or metric event was read before it".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lines: u64, skipped: u64) -> Report {
        let mut log = SkippedLines::default();
        (0..skipped).for_each(|i| log.record(i * 10 + 3, SkipReason::InvalidJson));
        Report {
            lines,
            bytes: 0,
            events: 0,
            duplicates: 0,
            anonymous_events: 0,
            latest_event: None,
            skipped: log,
            experiments: BTreeMap::new(),
        }
    }

    #[test]
    fn one_percent_passes_and_more_fails_naming_count_and_lines() {
        assert_eq!(report(1000, 10).check_skipped(MAX_SKIPPED_RATIO), Ok(()));
        let error = report(1000, 11)
            .check_skipped(MAX_SKIPPED_RATIO)
            .expect_err("11 of 1000 is above 1%");
        let message = error.to_string();
        assert!(message.starts_with("11 of 1000 lines (1.10%)"), "{message}");
        assert!(
            message.contains("3 (not valid JSON), 13 (not valid JSON)"),
            "{message}"
        );
        assert_eq!(error.first.len(), SKIPPED_LINES_KEPT);
        assert_eq!(report(0, 0).skipped_ratio(), 0.0);
    }

    #[test]
    fn appended_skips_are_shifted_and_capped() {
        let mut early = SkippedLines::default();
        early.record(2, SkipReason::MissingTime);
        let mut late = SkippedLines::default();
        (1..=9).for_each(|line| late.record(line, SkipReason::MissingEvent));
        early.append(late, 100);
        assert_eq!(early.count, 10);
        let lines: Vec<u64> = early.first.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 101, 102, 103, 104]);
    }
}
