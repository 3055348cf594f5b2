//! Queries for results snapshots.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::domain::experiment::ExperimentId;
use crate::domain::results::{Counts, Snapshot, Source};
use crate::error::AppError;

struct SnapshotRow {
    id: i64,
    taken_at: DateTime<Utc>,
    source: Source,
    counts: sqlx::types::Json<Counts>,
    lines: i64,
    skipped_lines: i64,
}

impl SnapshotRow {
    fn into_snapshot(self) -> Snapshot {
        Snapshot {
            id: self.id,
            taken_at: self.taken_at,
            source: self.source,
            counts: self.counts.0,
            lines: self.lines.max(0) as u64,
            skipped_lines: self.skipped_lines.max(0) as u64,
        }
    }
}

/// Stores one snapshot, audited as its own action (typed in, imported or pulled). Readings
/// that arrive together share a write turn and a commit (`snapshot_batch`); each still gets its
/// own answer and its own line in the audit log.
pub async fn insert(
    pool: &SqlitePool,
    experiment: ExperimentId,
    source: Source,
    counts: &Counts,
    lines: u64,
    skipped: u64,
    at: DateTime<Utc>,
) -> Result<i64, AppError> {
    let action = match source {
        Source::Manual => "record results",
        Source::File | Source::Csv => "import results",
        Source::Mixpanel | Source::Warehouse => "pull results",
    };
    let snapshot = super::snapshot_batch::NewSnapshot {
        who: super::audit::acting_for(action)?,
        action,
        experiment,
        source,
        counts: counts.clone(),
        lines,
        skipped,
        at,
    };
    super::snapshot_batch::insert(pool, snapshot).await
}

/// All snapshots of an experiment, oldest first (the lift-over-time chart reads them in order).
pub async fn list(pool: &SqlitePool, experiment: ExperimentId) -> Result<Vec<Snapshot>, AppError> {
    let rows = sqlx::query_as!(
        SnapshotRow,
        r#"SELECT id AS "id!", taken_at AS "taken_at: _", source AS "source: _",
           counts AS "counts: _", lines, skipped_lines
           FROM snapshot WHERE experiment_id = ? ORDER BY taken_at, id"#,
        experiment.0
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(SnapshotRow::into_snapshot).collect())
}

/// The experiment's latest snapshot, if any: the one the decision reads. A scheduled pull every
/// hour leaves a thousand or more on a long test, and the rule needs only this one.
pub async fn latest(
    pool: &SqlitePool,
    experiment: ExperimentId,
) -> Result<Option<Snapshot>, AppError> {
    let row = sqlx::query_as!(
        SnapshotRow,
        r#"SELECT id AS "id!", taken_at AS "taken_at: _", source AS "source: _",
           counts AS "counts: _", lines, skipped_lines
           FROM snapshot WHERE experiment_id = ? ORDER BY taken_at DESC, id DESC LIMIT 1"#,
        experiment.0
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(SnapshotRow::into_snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_seed::as_tester;
    use crate::domain::results::{ArmCount, MetricCounts, Observed};

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn snapshots_round_trip_in_time_order(pool: SqlitePool) {
        let new = crate::domain::experiment::NewExperiment::parse(
            &crate::domain::experiment::NewExperimentForm {
                title: "Snap".into(),
                hypothesis: "h".into(),
                owner: "o".into(),
                team: "t".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let exp = as_tester(crate::db::experiments::insert(
            &pool,
            &new,
            &Default::default(),
            Utc::now(),
        ))
        .await
        .unwrap();
        let counts = Counts {
            segments: Vec::new(),
            multi_arm_users: 0,
            incomplete_windows: 0,
            arms: vec![ArmCount {
                name: "control".into(),
                users: 10,
            }],
            metrics: vec![MetricCounts {
                covariates: Vec::new(),
                metric: "m".into(),
                values: vec![Observed::Mean {
                    n: 10,
                    sum: 2.5,
                    sum_squares: 9.0,
                }],
            }],
        };
        let t0 = Utc::now();
        as_tester(insert(
            &pool,
            exp.id,
            Source::Manual,
            &counts,
            0,
            0,
            t0 + chrono::Duration::seconds(5),
        ))
        .await
        .unwrap();
        as_tester(insert(&pool, exp.id, Source::Mixpanel, &counts, 100, 1, t0))
            .await
            .unwrap();
        let all = list(&pool, exp.id).await.unwrap();
        assert_eq!(
            all.iter().map(|s| s.source).collect::<Vec<_>>(),
            [Source::Mixpanel, Source::Manual]
        );
        assert_eq!(all[1].counts, counts);
        assert_eq!((all[0].lines, all[0].skipped_lines), (100, 1));
        let last = latest(&pool, exp.id)
            .await
            .unwrap()
            .expect("a latest snapshot");
        assert_eq!(
            (last.id, last.source),
            (all[1].id, Source::Manual),
            "the latest is the one taken last, not the one stored last"
        );
    }
}
