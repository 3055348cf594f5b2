//! Attribution: from a raw event export (newline-delimited JSON, as Mixpanel's Raw Event Export
//! API returns it) to per-experiment, per-arm exposure and conversion counts.
//!
//! # Rules (the same for every source)
//! - A user's exposure to an experiment is their first exposure event for it (minimum time,
//!   wherever it appears in the file), within the run's dates when those are given. Users
//!   exposed to two or more arms are excluded from every arm and counted as multi-arm users.
//! - Metric events are deduplicated on Mixpanel's key (event, distinct_id, time, `$insert_id`);
//!   an event without `$insert_id` is never a duplicate.
//! - A user converts on a metric when one of its events has `t0 <= t < t0 + window`.
//! - Value metrics: per exposed user, the sum of a numeric property over the counted events
//!   (0 for users without any; a missing or non-numeric property adds 0), reported per arm as
//!   n, sum and sum of squares, exactly when the values are plain decimals.
//! - Lines that are not valid JSON or lack `event`, a numeric `properties.time` or
//!   `properties.distinct_id` are skipped and counted, keeping the first line numbers; the
//!   caller applies the 1% rule with [`Report::check_skipped`].
//!
//! # Memory: why state is per user and per metric event, never per line
//! Exports are grouped by day, unsorted inside a day, and late events land days later, so a
//! user's conversion may be read before the exposure it belongs to. A single pass (the only
//! kind a stream allows) therefore keeps:
//! - each distinct_id once, in a byte arena (`interner.rs`), about 16 bytes plus the id;
//! - one folded 24-byte entry per (experiment, exposed user): earliest time, arm, multi-arm
//!   flag, chained off the user (`tally.rs`);
//! - one 32-byte record per metric event (user, event, time, a 64-bit hash of `$insert_id`,
//!   and the value amounts when the event carries a value metric), since until the end it is
//!   unknown whether, and when, that user will be exposed.
//!
//! Noise events (most of a file) leave no trace, and deduplication needs no global set of
//! insert ids: duplicates are found at the end by sorting the metric events by user. So memory
//! grows with the users and metric events in the input, never with its size (10M events, 6 GB:
//! under 90 MB); a Mixpanel pull filtered to the exposure and metric events holds nothing else.
//! The one bound on a pathological input is the line: a line over 8 MiB is skipped, not held.
//!
//! # Speed and threads
//! Lines are not parsed into a DOM. The event name is read from the line's usual
//! `{"event":"…"` prefix; lines whose event attribution ignores only get a cheap completeness
//! check, and the others a single validating scan that picks out the needed properties
//! (`json.rs`, `strings.rs`, `line.rs`). Parsing is nearly all the work and needs no shared
//! state, so it is split off: a [`BlockParser`] per thread turns line-aligned blocks into
//! [`ParsedBlock`]s, which one [`Attributor`] absorbs in input order, keeping one tally (each
//! user stored once). Nothing here starts threads or does IO, so it also compiles for wasm.
//!
//! # Using it
//! ```
//! use app::domain::attribution::{Attributor, Config, ExposureConvention, MAX_SKIPPED_RATIO};
//!
//! let mut config = Config::new(ExposureConvention::Mixpanel);
//! config.metrics = vec!["purchase_completed".into()];
//! let mut attributor = Attributor::new(config)?;
//! // Any chunking: a line split across chunks is completed by the next one.
//! attributor.feed_chunk(br#"{"event":"$experiment_started","properties":{"time":1714521600,"#);
//! attributor.feed_chunk(br#""distinct_id":"u1","Experiment name":"e","Variant name":"a"}}"#);
//! attributor.feed_chunk(b"\n");
//! let progress = attributor.progress(); // bytes, lines, events, skipped: for a progress bar
//! assert_eq!((progress.lines, progress.events), (1, 1));
//! let report = attributor.finish()?;
//! report.check_skipped(MAX_SKIPPED_RATIO)?; // the brief's 1% rule
//! assert_eq!(report.experiments["e"].arms["a"].exposed, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod activity;
mod amount;
mod attributor;
mod config;
mod interner;
mod json;
mod line;
mod measure;
mod parser;
mod plan;
mod report;
mod strings;
mod summary;
mod tally;

#[cfg(test)]
pub(crate) mod tests;

pub use amount::{Decimal, Quantity};
pub use attributor::{Attributor, Progress};
pub use config::{
    local_to_utc, Cap, CapAt, Clock, Config, ConfigError, ExposureConvention, Ratio, Retention,
    RetentionEvent, TimeRange, ValueMetric, Window, COUNT_PROPERTY, DEFAULT_WINDOW_DAYS,
    NEW_VS_RETURNING,
};
pub use parser::{BlockParser, ParsedBlock};
/// What a configuration measures, in the report's order and keys: the warehouse query
/// (`crate::warehouse`) generates its SQL from the same plan, so both sources agree. The
/// warehouse query runs only on the server.
#[cfg(feature = "ssr")]
pub(crate) use plan::{dedup, Plan};
pub use report::{
    describe_lines, reached_words, ArmCounts, AttributionError, CovariateSums, ExperimentCounts,
    RatioSums, Report, SkipReason, SkippedLine, SkippedLines, TooManySkippedLines, ValueSums,
    MAX_SKIPPED_RATIO, SKIPPED_LINES_KEPT,
};
