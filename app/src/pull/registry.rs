//! Live pulls, one per experiment: progress for the bar, a cancel flag, and the last outcome kept
//! to be shown. In memory on purpose: a pull lives as long as the process that runs it, and what
//! a pull commits is in the database, not here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::watch;

use super::{PullPhase, PullStatus, Trigger};
use crate::domain::attribution::Progress;

/// How a pull retries what Mixpanel answers with 429 or 5xx. Small in tests, patient in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; it doubles after each further one.
    pub first_delay: Duration,
    /// The longest wait, for backoff and for a `Retry-After`; asked to wait longer, a pull gives up.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failed + 1`, or None when no attempt is left or the server asks
    /// for more patience than `max_delay`.
    pub fn delay(&self, failed: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if failed >= self.attempts {
            return None;
        }
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait),
            None => {
                let factor = 2u32.saturating_pow(failed.saturating_sub(1));
                Some(self.first_delay.saturating_mul(factor).min(self.max_delay))
            }
        }
    }
}

/// How long an export may stay silent. Mixpanel computes big ranges for minutes before the
/// first byte (mixpanel-utils waits 20); once bytes flow, a long silence is a dead connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    pub first_byte: Duration,
    pub idle: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Self {
            first_byte: Duration::from_secs(20 * 60),
            idle: Duration::from_secs(3 * 60),
        }
    }
}

/// Every experiment's latest pull since start-up, keyed by experiment key.
#[derive(Debug, Clone, Default)]
pub struct PullRegistry {
    pulls: Arc<Mutex<HashMap<String, Entry>>>,
    retry: RetryPolicy,
    patience: Patience,
    /// The project's hourly export queries, shared by every pull.
    budget: super::budget::QueryBudget,
    /// Where exports may be requested from (the deployment's setting).
    egress: super::egress::Egress,
}

#[derive(Debug)]
struct Entry {
    /// Tells a finishing handle apart from a newer pull of the same experiment.
    generation: u64,
    status: PullStatus,
    started: Instant,
    cancel: watch::Sender<bool>,
}

/// A second pull of an experiment while one runs.
#[derive(Debug, Clone, PartialEq)]
pub struct AlreadyRunning {
    pub started_at: DateTime<Utc>,
}

impl PullRegistry {
    pub fn new(retry: RetryPolicy) -> Self {
        Self {
            pulls: Arc::default(),
            retry,
            patience: Patience::default(),
            budget: Default::default(),
            egress: Default::default(),
        }
    }

    pub fn budget(&self) -> &super::budget::QueryBudget {
        &self.budget
    }

    /// The same registry counting against `budget` (tests use a small one).
    pub fn with_budget(mut self, budget: super::budget::QueryBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The same registry waiting `patience` for silent exports (tests use seconds).
    pub fn with_patience(mut self, patience: Patience) -> Self {
        self.patience = patience;
        self
    }

    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The same registry sending exports under `egress` (set once, at start-up).
    pub fn with_egress(mut self, egress: super::egress::Egress) -> Self {
        self.egress = egress;
        self
    }

    pub fn egress(&self) -> &super::egress::Egress {
        &self.egress
    }

    /// Claims the experiment for a new pull, unless one is running.
    pub fn begin(
        &self,
        key: &str,
        trigger: Trigger,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<PullHandle, AlreadyRunning> {
        let mut pulls = self.lock();
        let generation = match pulls.get(key) {
            Some(e) if e.status.is_running() => {
                return Err(AlreadyRunning {
                    started_at: e.status.started_at,
                })
            }
            Some(e) => e.generation + 1,
            None => 0,
        };
        let (cancel, cancelled) = watch::channel(false);
        let status = PullStatus {
            phase: PullPhase::Running,
            source: super::PullSource::Mixpanel,
            trigger,
            started_at: Utc::now(),
            from,
            to,
            bytes: 0,
            lines: 0,
            events: 0,
            elapsed_ms: 0,
            message: None,
        };
        pulls.insert(
            key.to_owned(),
            Entry {
                generation,
                status,
                started: Instant::now(),
                cancel,
            },
        );
        Ok(PullHandle {
            registry: self.clone(),
            key: key.to_owned(),
            generation,
            cancelled,
            finished: false,
        })
    }

    /// The latest pull of an experiment, with its elapsed time up to now while it runs.
    pub fn status(&self, key: &str) -> Option<PullStatus> {
        self.lock().get(key).map(Entry::snapshot)
    }

    /// Raises the cancel flag of a running pull; false when none runs.
    pub fn cancel(&self, key: &str) -> bool {
        match self.lock().get(key) {
            Some(e) if e.status.is_running() => {
                e.cancel.send_replace(true);
                true
            }
            _ => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves plain counters behind, still safe to read.
        self.pulls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, key: &str, generation: u64, change: impl FnOnce(&mut Entry)) {
        if let Some(e) = self.lock().get_mut(key) {
            if e.generation == generation && e.status.is_running() {
                change(e);
            }
        }
    }
}

impl Entry {
    fn snapshot(&self) -> PullStatus {
        let mut status = self.status.clone();
        if status.is_running() {
            status.elapsed_ms = millis(self.started.elapsed());
        }
        status
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The running pull's side: reports progress and the outcome, and hears the cancel flag.
/// Dropped without an outcome (a panic, an aborted task), it records the pull as failed, so an
/// experiment is never stuck "running".
#[derive(Debug)]
pub struct PullHandle {
    registry: PullRegistry,
    key: String,
    generation: u64,
    cancelled: watch::Receiver<bool>,
    finished: bool,
}

impl PullHandle {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn retry(&self) -> RetryPolicy {
        self.registry.retry
    }

    pub fn patience(&self) -> Patience {
        self.registry.patience
    }

    pub fn budget(&self) -> &super::budget::QueryBudget {
        &self.registry.budget
    }

    pub fn egress(&self) -> &super::egress::Egress {
        &self.registry.egress
    }

    /// A receiver that turns true when someone cancels this pull.
    pub fn cancel_signal(&self) -> watch::Receiver<bool> {
        self.cancelled.clone()
    }

    pub fn is_cancelled(&self) -> bool {
        *self.cancelled.borrow()
    }

    pub fn progress(&self, p: Progress) {
        self.registry.update(&self.key, self.generation, |e| {
            e.status.bytes = p.bytes;
            e.status.lines = p.lines;
            e.status.events = p.events;
        });
    }

    /// Where the pull reads from (Mixpanel unless said otherwise).
    pub fn source(&self, source: super::PullSource) {
        self.registry.update(&self.key, self.generation, |e| {
            e.status.source = source;
        });
    }

    /// What the pull is doing besides reading, e.g. waiting out a 429.
    pub fn note(&self, message: Option<String>) {
        self.registry
            .update(&self.key, self.generation, |e| e.status.message = message);
    }

    pub fn finish(mut self, phase: PullPhase, message: String) {
        self.record(phase, message);
    }

    fn record(&mut self, phase: PullPhase, message: String) {
        self.finished = true;
        self.registry.update(&self.key, self.generation, |e| {
            e.status.elapsed_ms = millis(e.started.elapsed());
            e.status.phase = phase;
            e.status.message = Some(message);
        });
    }
}

impl Drop for PullHandle {
    fn drop(&mut self) {
        if !self.finished {
            self.record(
                PullPhase::Failed,
                "the pull stopped unexpectedly; nothing was stored".into(),
            );
        }
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
