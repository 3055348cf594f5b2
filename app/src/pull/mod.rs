//! Pulling results from Mixpanel's Raw Event Export API into snapshots.
//!
//! The export streams straight into the attributor (`mixpanel.rs`), one pull per experiment at a
//! time with live progress and a cancel flag (`registry.rs`), stored as one snapshot on success
//! and nothing otherwise (`runner.rs`), on a button or on a schedule (`scheduler.rs`). The types
//! here cross the wire to the progress bar and the settings page, so they compile for both builds;
//! everything that does IO is server-only, gated once at its module line.

pub mod settings;

#[cfg(feature = "ssr")]
pub mod budget;
#[cfg(feature = "ssr")]
pub mod egress;
#[cfg(feature = "ssr")]
pub mod mixpanel;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod runner;
#[cfg(feature = "ssr")]
pub mod scheduler;
#[cfg(feature = "ssr")]
mod warehouse_job;

#[cfg(feature = "ssr")]
pub use registry::{Patience, PullRegistry, RetryPolicy};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where a pull stands. Only `Running` changes; the others are final and kept to be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullPhase {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// Who asked for a pull: the log and the panel say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Manual,
    Schedule,
}

/// Where a pull reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullSource {
    /// Mixpanel's Raw Event Export API, streamed into the attributor.
    #[default]
    Mixpanel,
    /// One query in the team's warehouse; only aggregates come back.
    Warehouse,
}

/// One pull's progress or outcome, as the progress bar shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullStatus {
    pub phase: PullPhase,
    #[serde(default)]
    pub source: PullSource,
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
    /// The run's dates asked of Mixpanel (its `from_date` and `to_date`).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Export bytes read after gzip decoding, lines read, and exposure or metric events among them.
    pub bytes: u64,
    pub lines: u64,
    pub events: u64,
    pub elapsed_ms: u64,
    /// In words: a retry being waited out, what was stored, or why nothing was.
    pub message: Option<String>,
}

impl PullStatus {
    pub fn is_running(&self) -> bool {
        self.phase == PullPhase::Running
    }

    pub fn bytes_per_second(&self) -> f64 {
        per_second(self.bytes, self.elapsed_ms)
    }

    pub fn events_per_second(&self) -> f64 {
        per_second(self.events, self.elapsed_ms)
    }
}

fn per_second(n: u64, elapsed_ms: u64) -> f64 {
    if elapsed_ms == 0 {
        0.0
    } else {
        n as f64 * 1000.0 / elapsed_ms as f64
    }
}

/// What the pull panel needs: whether a source (Mixpanel or a warehouse) is set up, and the
/// latest pull since start-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullInfo {
    pub configured: bool,
    pub status: Option<PullStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_second_and_zero_before_any_time_passed() {
        let status = PullStatus {
            phase: PullPhase::Running,
            source: PullSource::Mixpanel,
            trigger: Trigger::Manual,
            started_at: Utc::now(),
            from: NaiveDate::MIN,
            to: NaiveDate::MIN,
            bytes: 3_000,
            lines: 20,
            events: 10,
            elapsed_ms: 2_000,
            message: None,
        };
        assert_eq!(status.bytes_per_second(), 1_500.0);
        assert_eq!(status.events_per_second(), 5.0);
        assert_eq!(
            PullStatus {
                elapsed_ms: 0,
                ..status
            }
            .events_per_second(),
            0.0
        );
    }

    #[test]
    fn phases_travel_as_snake_case() {
        assert_eq!(
            serde_json::to_string(&PullPhase::Cancelled).unwrap(),
            "\"cancelled\""
        );
    }
}
