//! One pull from start to stored snapshot. Everything that can refuse a pull is checked before it
//! starts (experiment, settings, brief), so a started pull fails only on what Mixpanel sends.
//! A pull stores exactly one snapshot in one transaction, or nothing: a failed, refused or
//! cancelled pull leaves the previous snapshot as the latest.

use chrono::{NaiveDate, Utc};
use sqlx::SqlitePool;
use tokio::task::JoinHandle;

use super::mixpanel::{stream_export, ExportError, ExportRequest};
use super::registry::{PullHandle, PullRegistry};
use super::settings::MixpanelSettings;
use super::{PullPhase, PullStatus, Trigger};
use crate::domain::attribution::{
    reached_words, AttributionError, Attributor, Clock, Config, Report, RetentionEvent, TimeRange,
    TooManySkippedLines, MAX_SKIPPED_RATIO, NEW_VS_RETURNING,
};
use crate::domain::experiment::Experiment;
use crate::domain::export_window::{export_window, ExportWindow, Reach};
use crate::domain::import::{attribution_config, counts_from_report, ReportError};
use crate::domain::results::Source;
use crate::error::AppError;

/// Why a pull could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("no results source is set up: add the Mixpanel project or a warehouse under Settings")]
    NotConfigured,
    #[error("results are pulled for running or finished experiments")]
    NotStarted,
    #[error(
        "a pull of this experiment is already running (started {0}); wait for it or cancel it"
    )]
    AlreadyRunning(String),
    #[error("the brief cannot be attributed: {0}")]
    Brief(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StartError> for AppError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::App(e) => e,
            StartError::AlreadyRunning(_) => AppError::Conflict(e.to_string()),
            other => AppError::invalid("pull", other.to_string()),
        }
    }
}

/// Why a started pull stored nothing.
#[derive(Debug, thiserror::Error)]
pub(super) enum PullError {
    #[error("{0}; nothing was stored")]
    Warehouse(crate::db::warehouse::WarehouseError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("refused: {0}; nothing was stored")]
    Malformed(#[from] TooManySkippedLines),
    #[error("Mixpanel cut the export short: its last line is \"terminated early\", so the rest of the data is missing ({reached}); nothing was stored. Pull again; if it keeps happening, the range is too big for one export")]
    Truncated { reached: String },
    #[error("{cause}; {reached}")]
    Broken { cause: ExportError, reached: String },
    #[error("the export could not be counted: {0}")]
    Attribution(#[from] AttributionError),
    #[error("{0}")]
    Report(#[from] ReportError),
    #[error("{0}")]
    Counts(String),
    #[error("the snapshot could not be saved: {0}")]
    Store(AppError),
}

/// A started pull: its first status, and the task to await for its end (the scheduler does).
pub struct Started {
    pub status: PullStatus,
    pub task: JoinHandle<()>,
}

/// Checks, claims the experiment in the registry, and runs the pull in the background.
pub async fn start(
    pool: &SqlitePool,
    registry: &PullRegistry,
    key: &str,
    trigger: Trigger,
) -> Result<Started, StartError> {
    let exp = crate::db::experiments::by_key(pool, key).await?;
    let warehouse = crate::db::warehouse_source::load(pool).await?;
    if let Some(warehouse) = warehouse.filter(|w| w.use_for_pulls) {
        return super::warehouse_job::start(pool, registry, exp, warehouse, trigger).await;
    }
    let settings = crate::db::mixpanel_source::load(pool)
        .await?
        .ok_or(StartError::NotConfigured)?;
    let (Some(started), true) = (exp.started_at, exp.status.accepts_results()) else {
        return Err(StartError::NotStarted);
    };
    let window = export_window(
        settings.clock(),
        started,
        exp.ended_at,
        Reach::of(&exp.brief),
        Utc::now(),
    );
    let (from, to) = (window.from, window.to);
    // The stored key, not the typed one: it is what the export's exposure events carry.
    let key = exp.key.to_string();
    let config = pull_config(&exp, &key, &settings, &window)?;
    let events = events(&config);
    let attributor = Attributor::new(config).map_err(|e| StartError::Brief(e.to_string()))?;
    let handle = registry
        .begin(&key, trigger, (from, to))
        .map_err(|e| StartError::AlreadyRunning(e.started_at.format("%H:%M:%S UTC").to_string()))?;
    let status = registry.status(&key).ok_or(AppError::Internal)?;
    // The pull runs on its own task, where the request's identity is gone: it stores the
    // snapshot as whoever started it (a person's "Pull now", or the schedule's system identity).
    let who = crate::auth::acting()
        .ok_or_else(|| AppError::internal("pull started outside acting_as", &key))?;
    tracing::info!(key, ?trigger, %from, %to, "pull started");
    let zone = settings.clock().api_zone();
    let job = Job {
        pool: pool.clone(),
        exp,
        settings,
        attributor,
        events,
        from,
        to,
        zone,
    };
    let task = tokio::spawn(crate::auth::acting_as(
        who,
        async move { job.run(handle).await },
    ));
    Ok(Started { status, task })
}

struct Job {
    pool: SqlitePool,
    exp: Experiment,
    settings: MixpanelSettings,
    attributor: Attributor,
    events: Vec<String>,
    from: NaiveDate,
    to: NaiveDate,
    /// The zone of `from` and `to`, in which the data's reach is told.
    zone: chrono_tz::Tz,
}

impl Job {
    async fn run(self, handle: PullHandle) {
        let outcome = self.pull(&handle).await;
        finish(handle, outcome);
    }

    async fn pull(self, handle: &PullHandle) -> Result<String, PullError> {
        let mut attributor = self.attributor;
        let request = ExportRequest {
            settings: &self.settings,
            egress: handle.egress(),
            from: self.from,
            to: self.to,
            zone: self.zone.name().to_owned(),
            events: self.events,
        };
        let zone = self.zone;
        let mut cancel = handle.cancel_signal();
        // Each chunk is attributed as it arrives (microseconds of work per chunk), so memory
        // holds the users and metric events, never the export.
        let streamed = stream_export(
            &request,
            handle.retry(),
            handle.patience(),
            handle.budget(),
            &mut cancel,
            |wait| handle.note(wait),
            |chunk| {
                attributor.feed_chunk(chunk);
                handle.progress(attributor.progress());
            },
        )
        .await;
        match streamed {
            Err(cause @ ExportError::Broken { .. }) => {
                let reached = reached_words(attributor.latest_event(), zone);
                return Err(PullError::Broken { cause, reached });
            }
            other => other?,
        }
        let report = match attributor.finish() {
            Err(AttributionError::Truncated { latest_event }) => {
                let reached = reached_words(latest_event, zone);
                return Err(PullError::Truncated { reached });
            }
            other => other?,
        };
        handle.progress(crate::domain::attribution::Progress {
            bytes: report.bytes,
            lines: report.lines,
            events: report.events,
            skipped: report.skipped.count,
            anonymous: report.anonymous_events,
        });
        report.check_skipped(MAX_SKIPPED_RATIO)?;
        store(&self.pool, &self.exp, handle, &report, Source::Mixpanel).await
    }
}

/// Ends a pull with its outcome: stored, cancelled (by Cancel, wherever the pull was), or
/// failed with the reason. Shared by every pulled source.
pub(super) fn finish(handle: PullHandle, outcome: Result<String, PullError>) {
    let key = handle.key().to_owned();
    match outcome {
        Ok(message) => {
            tracing::info!(key, "{message}");
            handle.finish(PullPhase::Succeeded, message);
        }
        Err(
            PullError::Export(ExportError::Cancelled)
            | PullError::Warehouse(crate::db::warehouse::WarehouseError::Cancelled),
        ) => {
            tracing::info!(key, "pull cancelled");
            handle.finish(
                PullPhase::Cancelled,
                "Cancelled: nothing was stored; the previous results stay.".into(),
            );
        }
        Err(e) => {
            tracing::warn!(key, error = %e, "pull failed");
            handle.finish(
                PullPhase::Failed,
                format!("{e}. The previous results stay."),
            );
        }
    }
}

/// Checks a finished report against the brief and stores it as one snapshot; the outcome in
/// words. Shared by every pulled source.
pub(super) async fn store(
    pool: &SqlitePool,
    exp: &Experiment,
    handle: &PullHandle,
    report: &Report,
    source: Source,
) -> Result<String, PullError> {
    let key = handle.key();
    let brief = &exp.brief;
    let counts = counts_from_report(brief, key, report)?;
    let problems = counts.validate(brief);
    if !problems.is_empty() {
        let words: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        return Err(PullError::Counts(words.join("; ")));
    }
    // The last moment a cancel can still keep the snapshot out.
    if handle.is_cancelled() {
        return Err(ExportError::Cancelled.into());
    }
    crate::db::results::insert(
        pool,
        exp.id,
        source,
        &counts,
        report.lines,
        report.skipped.count,
        Utc::now(),
    )
    .await
    .map_err(PullError::Store)?;
    Ok(stored_message(report, key, &counts, source))
}

/// The pull's report in words: what was counted, and everything that was not.
fn stored_message(
    report: &Report,
    key: &str,
    counts: &crate::domain::results::Counts,
    source: Source,
) -> String {
    let users: u64 = counts.arms.iter().map(|a| a.users).sum();
    let mut words = if source == Source::Warehouse {
        format!(
            "Stored a snapshot: {users} exposed users, computed in the warehouse from {} exposure and metric events ({} duplicates, {} anonymous events with an empty distinct_id, never counted).",
            report.events, report.duplicates, report.anonymous_events
        )
    } else {
        format!(
            "Stored a snapshot: {users} exposed users from {} lines ({} skipped, {} duplicates, {} anonymous events with an empty distinct_id, never counted).",
            report.lines, report.skipped.count, report.duplicates, report.anonymous_events
        )
    };
    if let Some(experiment) = report.experiments.get(key) {
        if !experiment.other_rules_on_flag.is_empty() {
            let others: Vec<String> = experiment
                .other_rules_on_flag
                .iter()
                .map(|(rule, events)| format!("{rule}: {events}"))
                .collect();
            words.push_str(&format!(
                " Not counted: exposure events of other rules on the same flag ({}).",
                others.join(", ")
            ));
        }
    }
    if counts.incomplete_windows > 0 {
        words.push_str(&format!(
            " {} users were exposed too recently for a full conversion window.",
            counts.incomplete_windows
        ));
    }
    words
}

/// The brief's attribution, over the run's days in the project's zone, reading the export's
/// clock, and knowing where the data ends (for incomplete windows).
fn pull_config(
    exp: &Experiment,
    key: &str,
    settings: &MixpanelSettings,
    window: &ExportWindow,
) -> Result<Config, StartError> {
    let brief_error = |e: &dyn std::fmt::Display| StartError::Brief(e.to_string());
    let mut config = attribution_config(&exp.brief, key, None).map_err(|e| brief_error(&e))?;
    config.run =
        Some(TimeRange::new(window.run_start, window.run_end).map_err(|e| brief_error(&e))?);
    config.clock = if settings.local_time {
        Clock::Local(settings.timezone)
    } else {
        Clock::Utc
    };
    config.data_end = Some(window.data_end);
    Ok(config)
}

/// The events to ask Mixpanel for: the exposure event and the brief's metric events, nothing else,
/// which keeps the export (and the API's work) small.
/// Empty when a retention metric counts any event, or a segment is new vs returning: then the
/// export must carry every event.
fn events(config: &Config) -> Vec<String> {
    if config.segments.iter().any(|s| s == NEW_VS_RETURNING) {
        return Vec::new();
    }
    let retention = config.retention.iter().map(|r| match &r.event {
        RetentionEvent::Named(event) => Some(event.clone()),
        RetentionEvent::Any => None,
    });
    let Some(retention) = retention.collect::<Option<Vec<String>>>() else {
        return Vec::new();
    };
    let mut events: Vec<String> = std::iter::once(config.convention.event().to_owned())
        .chain(config.metrics.iter().cloned())
        .chain(config.values.iter().map(|v| v.event().to_owned()))
        .chain(config.ratios.iter().flat_map(|r| {
            [
                r.numerator.event().to_owned(),
                r.denominator.event().to_owned(),
            ]
        }))
        .chain(retention)
        .collect();
    events.sort();
    events.dedup();
    events
}
