//! A pull from the warehouse: the brief's attribution over the run's UTC days as one query in
//! the warehouse (`crate::warehouse`), stored as one snapshot like any other pull. While it
//! runs the panel shows how long the query has been running; Cancel stops it in the warehouse.

use std::time::Duration;

use chrono::Utc;
use sqlx::SqlitePool;

use super::registry::{PullHandle, PullRegistry};
use super::runner::{finish, store, PullError, StartError, Started};
use super::{PullSource, Trigger};
use crate::db::warehouse::{attribute, Target};
use crate::domain::attribution::{Config, TimeRange};
use crate::domain::experiment::Experiment;
use crate::domain::export_window::{export_window, ProjectClock, Reach};
use crate::domain::import::attribution_config;
use crate::domain::results::Source;
use crate::error::AppError;
use crate::warehouse::settings::WarehouseSettings;

pub(super) async fn start(
    pool: &SqlitePool,
    registry: &PullRegistry,
    exp: Experiment,
    warehouse: WarehouseSettings,
    trigger: Trigger,
) -> Result<Started, StartError> {
    let (Some(started), true) = (exp.started_at, exp.status.accepts_results()) else {
        return Err(StartError::NotStarted);
    };
    // Pipelines land UTC times: the run's days are UTC days.
    let clock = ProjectClock {
        zone: chrono_tz::Tz::UTC,
        local_export: false,
    };
    let window = export_window(
        clock,
        started,
        exp.ended_at,
        Reach::of(&exp.brief),
        Utc::now(),
    );
    let key = exp.key.to_string();
    let brief_error = |e: &dyn std::fmt::Display| StartError::Brief(e.to_string());
    let mut config = attribution_config(&exp.brief, &key, None).map_err(|e| brief_error(&e))?;
    config.run =
        Some(TimeRange::new(window.run_start, window.run_end).map_err(|e| brief_error(&e))?);
    config.data_end = Some(window.data_end);
    // The rows read are those an export of the same days would hold.
    let scan_start = window
        .from
        .and_hms_opt(0, 0, 0)
        .map_or(window.run_start, |t| t.and_utc().timestamp());
    let scan = (scan_start, window.data_end);
    let handle = registry
        .begin(&key, trigger, (window.from, window.to))
        .map_err(|e| StartError::AlreadyRunning(e.started_at.format("%H:%M:%S UTC").to_string()))?;
    handle.source(PullSource::Warehouse);
    handle.note(Some(format!(
        "Query running in the warehouse ({})",
        warehouse.layout.table
    )));
    let status = registry.status(&key).ok_or(AppError::Internal)?;
    let who = crate::auth::acting()
        .ok_or_else(|| AppError::internal("pull started outside acting_as", &key))?;
    tracing::info!(key, ?trigger, table = %warehouse.layout.table, "warehouse pull started");
    let job = Job {
        pool: pool.clone(),
        exp,
        warehouse,
        config,
        scan,
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
    warehouse: WarehouseSettings,
    config: Config,
    scan: (i64, i64),
}

impl Job {
    async fn run(self, handle: PullHandle) {
        let outcome = self.pull(&handle).await;
        finish(handle, outcome);
    }

    async fn pull(self, handle: &PullHandle) -> Result<String, PullError> {
        let target = Target {
            url: self.warehouse.url.expose(),
            layout: &self.warehouse.layout,
            timeout: Duration::from_secs(u64::from(self.warehouse.timeout_secs)),
        };
        let mut cancel = handle.cancel_signal();
        let report = attribute(&target, &self.config, Some(self.scan), &mut cancel)
            .await
            .map_err(PullError::Warehouse)?;
        handle.note(None);
        handle.progress(crate::domain::attribution::Progress {
            bytes: 0,
            lines: 0,
            events: report.events,
            skipped: 0,
            anonymous: report.anonymous_events,
        });
        store(&self.pool, &self.exp, handle, &report, Source::Warehouse).await
    }
}
