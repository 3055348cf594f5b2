//! Loading the whole program for the dashboard, the review and the exports in one query, never
//! one per experiment: the 2,000-experiment benchmark depends on it.
//!
//! Why one JSON document: sqlx decodes SQLite rows one value at a time through its worker thread
//! (about 4 µs a row and 1 µs a value), so 2,000 experiments × 26 columns cost ~55 ms as rows.
//! SQLite builds the same data as one JSON array in a few milliseconds, and serde decodes it
//! straight into `Experiment` (its serde shape is the server-function wire format, so it is
//! stable). `everything_matches_the_board_query_field_for_field` guards the mapping below
//! against drifting from `experiments::ExperimentRow`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::domain::experiment::{Experiment, ExperimentId};
use crate::domain::lifecycle::Status;
use crate::domain::results::Counts;
use crate::error::AppError;

/// One JSON array of `[experiment, latest counts or null]` pairs, for every experiment or (with
/// `since` set) what a weekly review can show, or (with `only`, a JSON array of ids) just those: everything proposed or running, and what ended
/// after `since`. The brief and the counts are stored as validated JSON (CHECK json_valid), so
/// they are spliced in as text rather than parsed and re-printed by SQLite: `'{"brief":' || brief
/// || ','` followed by the rest of the object without its opening brace. A verdict column pair
/// becomes the `Verdict` serde shape (`{"kind": "ship", "arm": "b"}`), NULL where
/// `Verdict::from_parts` gives None. The latest snapshot (last by `taken_at`, then id: the results
/// view's "latest") is found through the `snapshot_experiment` index, one probe per experiment.
async fn load(
    pool: &SqlitePool,
    since: Option<DateTime<Utc>>,
    only: Option<&[i64]>,
) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    let (proposed, running, done) = (Status::Proposed, Status::Running, Status::Done);
    let (low, high) = super::program_entries::id_range(only);
    let only = only.map(|ids| serde_json::to_string(ids).expect("ids serialize"));
    let json = sqlx::query_scalar!(
        r#"SELECT '[' || coalesce(group_concat(
            '[{"brief":' || e.brief || ',' || substr(json_object(
                'id', e.id, 'key', e.key, 'title', e.title, 'owner', e.owner, 'team', e.team,
                'surface', e.surface, 'tags', json(e.tags), 'status', e.status,
                'archived', json(CASE WHEN e.archived THEN 'true' ELSE 'false' END),
                'version', e.version, 'started_at', e.started_at, 'ended_at', e.ended_at,
                'conclusion', json(CASE WHEN e.verdict IS NULL THEN NULL ELSE json_object(
                    'verdict', json(CASE WHEN e.verdict IS NULL THEN NULL
                          WHEN e.verdict = 'ship' AND coalesce(e.verdict_arm, '') = '' THEN NULL
                          WHEN e.verdict = 'ship' THEN json_object('kind', 'ship', 'arm', e.verdict_arm)
                          ELSE json_object('kind', e.verdict) END), 'summary', coalesce(e.summary, ''),
                    'stopped_early', e.stop_reason, 'computed', json(CASE WHEN e.computed_verdict IS NULL THEN NULL
                          WHEN e.computed_verdict = 'ship' AND coalesce(e.computed_arm, '') = '' THEN NULL
                          WHEN e.computed_verdict = 'ship' THEN json_object('kind', 'ship', 'arm', e.computed_arm)
                          ELSE json_object('kind', e.computed_verdict) END),
                    'override_reason', e.override_reason,
                    'post_mortem', json_object('lessons', coalesce(e.lessons, ''),
                        'segment_notes', coalesce(e.segment_notes, ''),
                        'next_idea', coalesce(e.next_idea, ''))) END),
                'follows', e.follows, 'created_at', e.created_at, 'updated_at', e.updated_at), 2)
            || ',' || coalesce(s.counts, 'null') || ']', ','), '') || ']' AS "document!: String"
         FROM experiment e LEFT JOIN snapshot s ON s.id = (
            SELECT id FROM snapshot WHERE experiment_id = e.id ORDER BY taken_at DESC, id DESC LIMIT 1)
         WHERE (?1 IS NULL OR e.status IN (?2, ?3) OR (e.status = ?4 AND e.ended_at > ?1))
           AND e.id BETWEEN ?6 AND ?7 AND (?5 IS NULL OR e.id IN (SELECT value FROM json_each(?5)))"#,
        since,
        proposed,
        running,
        done,
        only,
        low,
        high
    )
    .fetch_one(pool)
    .await?;
    serde_json::from_str(&json)
        .map_err(|e| AppError::internal("the program document does not parse", e))
}

/// Every experiment, archived ones included (a finished test still counts in the win rate after
/// it leaves the board), each with its latest counts.
pub async fn everything(pool: &SqlitePool) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    load(pool, None, None).await
}

/// The experiments with these ids (missing ones left out), each with its latest counts: what
/// a cache re-reads after a write.
pub async fn of_ids(
    pool: &SqlitePool,
    ids: &[i64],
) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    load(pool, None, Some(ids)).await
}

/// What a weekly review can show: everything running or proposed, and what ended after `since`.
pub async fn for_review(
    pool: &SqlitePool,
    since: DateTime<Utc>,
) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    load(pool, Some(since), None).await
}

/// Those of the experiments with these ids that a weekly review since `since` can show: what
/// the review's cache re-reads after a write.
pub async fn review_of_ids(
    pool: &SqlitePool,
    since: DateTime<Utc>,
    ids: &[i64],
) -> Result<Vec<(Experiment, Option<Counts>)>, AppError> {
    load(pool, Some(since), Some(ids)).await
}

/// The latest counts of every experiment that has results.
pub async fn latest_counts(pool: &SqlitePool) -> Result<HashMap<ExperimentId, Counts>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT experiment_id, counts AS "counts: sqlx::types::Json<Counts>" FROM (
            SELECT experiment_id, counts, row_number() OVER (
                PARTITION BY experiment_id ORDER BY taken_at DESC, id DESC) AS latest
            FROM snapshot)
         WHERE latest = 1"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (ExperimentId(r.experiment_id), r.counts.0))
        .collect())
}

/// Pairs experiments (from the board's filtered query) with their latest counts, in one query.
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
