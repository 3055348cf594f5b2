//! Loading the whole program for the dashboard, the review and the exports in three queries
//! (active experiments, archived ones, the latest snapshot of each), never one per experiment:
//! the 2,000-experiment benchmark depends on it.

use std::collections::HashMap;

use sqlx::{FromRow, SqlitePool};

use crate::domain::board::BoardFilter;
use crate::domain::experiment::{Experiment, ExperimentId};
use crate::domain::results::Counts;
use crate::error::AppError;

#[derive(FromRow)]
struct LatestRow {
    experiment_id: i64,
    counts: sqlx::types::Json<Counts>,
}

/// The latest snapshot's counts of every experiment that has one (the same "latest" as the
/// results view: last by `taken_at`, then by id).
pub async fn latest_counts(pool: &SqlitePool) -> Result<HashMap<ExperimentId, Counts>, AppError> {
    let rows: Vec<LatestRow> = sqlx::query_as(
        "SELECT experiment_id, counts FROM ( \
             SELECT experiment_id, counts, row_number() OVER ( \
                 PARTITION BY experiment_id ORDER BY taken_at DESC, id DESC) AS latest \
             FROM snapshot) \
         WHERE latest = 1",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (ExperimentId(r.experiment_id), r.counts.0))
        .collect())
}

/// Every experiment, archived ones included (a finished test still counts in the win rate
/// after it leaves the board), each with its latest counts. Reuses the board's query, so the
/// row-to-experiment conversion lives in one place.
pub async fn everything(pool: &SqlitePool) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    let mut experiments = super::experiments::list(pool, &BoardFilter::default()).await?;
    let archived = BoardFilter {
        archived: true,
        ..Default::default()
    };
    experiments.extend(super::experiments::list(pool, &archived).await?);
    with_latest(pool, experiments).await
}

/// Pairs experiments with their latest counts (one query for all of them).
pub async fn with_latest(
    pool: &SqlitePool,
    experiments: Vec<Experiment>,
) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    let mut latest = latest_counts(pool).await?;
    Ok(experiments
        .into_iter()
        .map(|e| {
            let counts = latest.remove(&e.id);
            (e, counts)
        })
        .collect())
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
