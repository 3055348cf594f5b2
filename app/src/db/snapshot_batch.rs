//! Readings that arrive together land together: one write turn and one commit for every
//! snapshot queued while the turn before was held (group commit).
//!
//! A reading is the write that comes in streams: every running experiment's daily pull at
//! once, a team's script posting each test's counts, the weekly review while results land.
//! Alone, each took a turn of its own: begin, stamp, insert, clear the stamp, commit, five trips
//! to SQLite's connection thread, each of which waits for a worker behind the pages being
//! rendered. Measured under the mixed benchmark (2 cores, 1,000 experiments, 10% writes), a turn
//! was held about 3 ms for well under one of work, so about 330 readings a second filled the
//! queue and the slowest requests waited ~100 ms in it. Here the first reading to find no writer
//! at work starts one; it waits for the turn, then takes everything queued by then, so a batch
//! grows with the queue instead of the queue growing.
//!
//! Each reading is still logged under its own caller (the stamp changes between callers), and
//! gets its own answer: when any statement of a batch fails, the batch is rolled back and each
//! reading is written again in a transaction of its own, so one bad reading fails alone and a
//! failed batch stores nothing twice.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::sync::oneshot;

use super::audit::AuditedTx;
use crate::domain::account::Identity;
use crate::domain::experiment::ExperimentId;
use crate::domain::results::{Counts, Source};
use crate::error::AppError;

/// At most this many readings per turn, so other writers (a sign-off, a triage) wait for one
/// batch of bounded length, not for a queue that keeps refilling.
const MOST_PER_TURN: usize = 64;

/// One snapshot to store, with who stores it.
pub(crate) struct NewSnapshot {
    pub who: Identity,
    pub action: &'static str,
    pub experiment: ExperimentId,
    pub source: Source,
    pub counts: Counts,
    pub lines: u64,
    pub skipped: u64,
    pub at: DateTime<Utc>,
}

struct Queued {
    snapshot: NewSnapshot,
    answer: oneshot::Sender<Result<i64, AppError>>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Queued>,
    /// A writer task is at work on this database; it takes what is queued before it stops.
    writing: bool,
}

/// One queue per database file (tests open many databases in one process).
fn queue_of(pool: &SqlitePool) -> Arc<Mutex<Queue>> {
    static QUEUES: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<Queue>>>>> = OnceLock::new();
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut queues = QUEUES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    queues.entry(file).or_default().clone()
}

/// Stores `snapshot` with the readings queued beside it; its id once committed.
pub(crate) async fn insert(pool: &SqlitePool, snapshot: NewSnapshot) -> Result<i64, AppError> {
    let queue = queue_of(pool);
    let (answer, answered) = oneshot::channel();
    let start_writer = {
        let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
        q.waiting.push(Queued { snapshot, answer });
        !std::mem::replace(&mut q.writing, true)
    };
    if start_writer {
        // A task of its own: the writer goes on for the readings queued behind this one even
        // if this caller stops waiting (its client hung up).
        tokio::spawn(write_queued(pool.clone(), queue));
    }
    answered.await.unwrap_or_else(|_| {
        Err(AppError::internal(
            "snapshot batch: the writer stopped",
            "a queued reading got no answer",
        ))
    })
}

/// Writes batches until the queue is empty, each in one turn.
async fn write_queued(pool: SqlitePool, queue: Arc<Mutex<Queue>>) {
    let mut writing = Writing(Some(queue.clone()));
    loop {
        // The turn first, then the queue: everything that arrived while this writer waited
        // for the turn goes into the batch.
        let turn = super::write_queue::turn(&pool).await;
        let batch: Vec<Queued> = {
            let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
            if q.waiting.is_empty() {
                q.writing = false;
                writing.0 = None;
                return;
            }
            let take = q.waiting.len().min(MOST_PER_TURN);
            let rest = q.waiting.split_off(take);
            std::mem::replace(&mut q.waiting, rest)
        };
        let (snapshots, answers): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|q| (q.snapshot, q.answer)).unzip();
        let results = match write_together(&pool, &snapshots).await {
            Ok(ids) => ids.into_iter().map(Ok).collect(),
            Err(_) => write_one_by_one(&pool, &snapshots).await,
        };
        drop(turn);
        for (answer, result) in answers.into_iter().zip(results) {
            // A caller that stopped waiting no longer needs its answer; its reading is stored.
            let _ = answer.send(result);
        }
    }
}

/// Should the writer stop anywhere but at an empty queue (a panic), the queue gets no writer
/// that never comes: the next reading starts one, and those waiting are answered with an error
/// (their senders dropped) rather than left waiting forever.
struct Writing(Option<Arc<Mutex<Queue>>>);

impl Drop for Writing {
    fn drop(&mut self) {
        if let Some(queue) = self.0.take() {
            let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
            q.writing = false;
            q.waiting.clear();
        }
    }
}

/// Every snapshot in one transaction; any failure rolls back all of them.
async fn write_together(pool: &SqlitePool, batch: &[NewSnapshot]) -> Result<Vec<i64>, AppError> {
    let first = &batch[0];
    let mut tx = AuditedTx::begin_holding_turn(pool, &first.who, first.action).await?;
    let mut ids = Vec::with_capacity(batch.len());
    let mut stamped = (&first.who, first.action);
    for snapshot in batch {
        if stamped != (&snapshot.who, snapshot.action) {
            tx.restamp(&snapshot.who, snapshot.action).await?;
            stamped = (&snapshot.who, snapshot.action);
        }
        ids.push(insert_row(&mut tx, snapshot).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

/// Each snapshot in a transaction of its own, each with its own answer.
async fn write_one_by_one(pool: &SqlitePool, batch: &[NewSnapshot]) -> Vec<Result<i64, AppError>> {
    let mut results = Vec::with_capacity(batch.len());
    for snapshot in batch {
        let alone = write_together(pool, std::slice::from_ref(snapshot)).await;
        results.push(alone.map(|ids| ids[0]));
    }
    results
}

async fn insert_row(tx: &mut AuditedTx, s: &NewSnapshot) -> Result<i64, AppError> {
    let counts = sqlx::types::Json(&s.counts);
    let (lines, skipped) = (s.lines as i64, s.skipped as i64);
    let id = sqlx::query_scalar!(
        r#"INSERT INTO snapshot (experiment_id, taken_at, source, counts, lines, skipped_lines)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        s.experiment.0,
        s.at,
        s.source,
        counts,
        lines,
        skipped
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::SqlitePool;

    use crate::db::results;
    use crate::db::test_seed::{at, seed, tester, Seed};
    use crate::domain::account::Identity;
    use crate::domain::experiment::ExperimentId;
    use crate::domain::lifecycle::Status;
    use crate::domain::results::{ArmCount, Counts, Source};

    fn users(n: u64) -> Counts {
        Counts {
            arms: vec![ArmCount {
                name: "control".into(),
                users: n,
            }],
            metrics: Vec::new(),
            multi_arm_users: 0,
            incomplete_windows: 0,
            segments: Vec::new(),
        }
    }

    /// Queues one reading per caller while another writer holds the turn, then lets go: they
    /// all go to the one writer that waited. The callers' answers, in order.
    async fn land_together(
        pool: &SqlitePool,
        readings: Vec<(String, ExperimentId, Counts)>,
    ) -> Vec<Result<i64, crate::error::AppError>> {
        let held = crate::db::write_queue::turn(pool)
            .await
            .expect("a free turn");
        let callers: Vec<_> = readings
            .into_iter()
            .map(|(name, experiment, counts)| {
                let pool = pool.clone();
                let who = Identity { name, ..tester() };
                tokio::spawn(crate::auth::acting_as(who, async move {
                    results::insert(&pool, experiment, Source::Manual, &counts, 0, 0, at(11, 20))
                        .await
                }))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM snapshot")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(
            count, 0,
            "nothing lands while another writer holds the turn"
        );
        drop(held);
        let mut answers = Vec::new();
        for caller in callers {
            answers.push(caller.await.unwrap());
        }
        answers
    }

    async fn logged_actor(pool: &SqlitePool, snapshot: i64) -> String {
        sqlx::query_scalar(
            "SELECT actor_name FROM audit_log \
             WHERE entity_type = 'snapshot' AND json_extract(after, '$.id') = ?",
        )
        .bind(snapshot)
        .fetch_one(pool)
        .await
        .unwrap()
    }

    /// Readings from several callers that land in one batch: each gets its own id, its own
    /// counts and its own audit line under its own caller.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_batch_logs_each_reading_under_its_caller(pool: SqlitePool) {
        let exp = seed(&pool, Seed::new("batch", Status::Running)).await;
        let readings = (0..5u64)
            .map(|i| (format!("caller {}", i / 2), exp.id, users(100 + i)))
            .collect();
        let answers = land_together(&pool, readings).await;
        let stored = results::list(&pool, exp.id).await.unwrap();
        assert_eq!(stored.len(), 5, "five readings stored, none twice");
        for (i, answer) in answers.into_iter().enumerate() {
            let id = answer.expect("every reading lands");
            let snapshot = stored
                .iter()
                .find(|s| s.id == id)
                .expect("its id is stored");
            assert_eq!(snapshot.counts, users(100 + i as u64), "reading {i}");
            assert_eq!(
                logged_actor(&pool, id).await,
                format!("caller {}", i / 2),
                "reading {i} is logged under its caller"
            );
        }
    }

    /// One reading of a batch that cannot be stored (its experiment does not exist) fails alone:
    /// the others land, each once, each under its caller.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_bad_reading_fails_alone(pool: SqlitePool) {
        let exp = seed(&pool, Seed::new("batch", Status::Running)).await;
        let readings = (0..6u64)
            .map(|i| {
                let experiment = if i == 3 {
                    ExperimentId(999_999)
                } else {
                    exp.id
                };
                (format!("caller {i}"), experiment, users(100 + i))
            })
            .collect();
        let answers = land_together(&pool, readings).await;
        let stored = results::list(&pool, exp.id).await.unwrap();
        assert_eq!(stored.len(), 5, "the five good readings stored, none twice");
        for (i, answer) in answers.into_iter().enumerate() {
            if i == 3 {
                assert!(answer.is_err(), "a reading of no experiment is refused");
                continue;
            }
            let id = answer.expect("the other readings land");
            assert!(stored
                .iter()
                .any(|s| s.id == id && s.counts == users(100 + i as u64)));
            assert_eq!(logged_actor(&pool, id).await, format!("caller {i}"));
        }
    }

    /// A stream of readings from many callers at once: every one lands, every id once.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_stream_of_readings_all_land(pool: SqlitePool) {
        let exp = seed(&pool, Seed::new("stream", Status::Running)).await;
        let callers: Vec<_> = (0..200u64)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(crate::db::test_seed::as_tester(async move {
                    results::insert(&pool, exp.id, Source::Manual, &users(i), 0, 0, at(11, 20))
                        .await
                }))
            })
            .collect();
        let mut ids = Vec::new();
        for caller in callers {
            ids.push(caller.await.unwrap().expect("every reading lands"));
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 200);
        assert_eq!(results::list(&pool, exp.id).await.unwrap().len(), 200);
    }
}
