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
    /// Batches written so far, each in one turn.
    batches: u64,
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
        // The guard exists before the task does: a task dropped before it first ran (its
        // runtime shutting down) drops it too, and the queue is not left marked as written.
        let writing = Writing(Some(queue));
        // A task of its own: the writer goes on for the readings queued behind this one even
        // if this caller stops waiting.
        tokio::spawn(write_queued(pool.clone(), writing));
    }
    answered.await.unwrap_or_else(|_| {
        Err(AppError::internal(
            "snapshot batch: the writer stopped",
            "a queued reading got no answer",
        ))
    })
}

/// Writes batches until the queue is empty, each in one turn.
async fn write_queued(pool: SqlitePool, mut writing: Writing) {
    let Some(queue) = writing.0.clone() else {
        return;
    };
    loop {
        // The turn first, then the queue: everything that arrived while this writer waited
        // for the turn goes into the batch.
        let turn = super::write_queue::turn(&pool).await;
        let batch: Vec<Queued> = {
            let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
            // A caller that stopped waiting (its request timed out, its client hung up) is
            // not written: gone before the commit means not stored, as with any other write,
            // so a client that retries does not store its reading twice.
            q.waiting.retain(|queued| !queued.answer.is_closed());
            if q.waiting.is_empty() {
                q.writing = false;
                writing.0 = None;
                return;
            }
            q.batches += 1;
            let take = q.waiting.len().min(MOST_PER_TURN);
            let rest = q.waiting.split_off(take);
            std::mem::replace(&mut q.waiting, rest)
        };
        let (snapshots, answers): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|q| (q.snapshot, q.answer)).unzip();
        let results = match write_together(&pool, &snapshots).await {
            Ok(ids) => ids.into_iter().map(Ok).collect(),
            // One reading could not be stored: each again on its own, so it fails alone.
            Err(Failed::Reading(_)) => write_one_by_one(&pool, &snapshots).await,
            // The batch as a whole failed (SQLite busy past its timeout with another process,
            // a failed commit): trying each alone would hold the turn for as many timeouts.
            Err(Failed::Batch(e)) => {
                tracing::warn!(error = %e, readings = snapshots.len(), "a batch of readings failed");
                vec![Err(e); snapshots.len()]
            }
        };
        drop(turn);
        for (answer, result) in answers.into_iter().zip(results) {
            // A caller that stopped waiting meanwhile no longer needs its answer.
            let _ = answer.send(result);
        }
    }
}

/// Should the writer stop anywhere but at an empty queue (a panic, a runtime shutting down),
/// the queue is not left waiting for a writer that never comes: the next reading starts one,
/// and those waiting are answered with an error (their senders dropped), not left hanging.
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

/// Why a batch was rolled back.
enum Failed {
    /// A reading's own row was refused (its experiment is gone, a check failed).
    Reading(AppError),
    /// Beginning, stamping or committing failed: nothing to do with any one reading.
    Batch(AppError),
}

/// Every snapshot in one transaction; any failure rolls back all of them.
async fn write_together(pool: &SqlitePool, batch: &[NewSnapshot]) -> Result<Vec<i64>, Failed> {
    let first = &batch[0];
    let mut tx = AuditedTx::begin_holding_turn(pool, &first.who, first.action)
        .await
        .map_err(Failed::Batch)?;
    let mut ids = Vec::with_capacity(batch.len());
    let mut stamped = (&first.who, first.action);
    for snapshot in batch {
        if stamped != (&snapshot.who, snapshot.action) {
            let restamp = tx.restamp(&snapshot.who, snapshot.action).await;
            restamp.map_err(Failed::Batch)?;
            stamped = (&snapshot.who, snapshot.action);
        }
        ids.push(
            insert_row(&mut tx, snapshot)
                .await
                .map_err(Failed::Reading)?,
        );
    }
    tx.commit().await.map_err(Failed::Batch)?;
    Ok(ids)
}

/// Each snapshot in a transaction of its own, each with its own answer.
async fn write_one_by_one(pool: &SqlitePool, batch: &[NewSnapshot]) -> Vec<Result<i64, AppError>> {
    let mut results = Vec::with_capacity(batch.len());
    for snapshot in batch {
        let alone = write_together(pool, std::slice::from_ref(snapshot)).await;
        results.push(match alone {
            Ok(ids) => Ok(ids[0]),
            Err(Failed::Reading(e) | Failed::Batch(e)) => Err(e),
        });
    }
    results
}

/// How many batches of readings have been written to `pool`'s database (tests: readings that
/// queued together went in one).
#[cfg(test)]
fn batches_written(pool: &SqlitePool) -> u64 {
    queue_of(pool).lock().unwrap().batches
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

    /// Long enough for any batch here; a writer that never answers fails the test instead of
    /// hanging the suite.
    const PATIENCE: Duration = Duration::from_secs(20);

    struct Reading {
        caller: String,
        experiment: ExperimentId,
        source: Source,
        counts: Counts,
    }

    fn spawn_reading(
        pool: &SqlitePool,
        r: Reading,
    ) -> tokio::task::JoinHandle<Result<i64, crate::error::AppError>> {
        let pool = pool.clone();
        let who = Identity {
            name: r.caller,
            ..tester()
        };
        tokio::spawn(crate::auth::acting_as(who, async move {
            results::insert(&pool, r.experiment, r.source, &r.counts, 0, 0, at(11, 20)).await
        }))
    }

    async fn stored(pool: &SqlitePool) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM snapshot")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// Queues the readings while another writer holds the turn, then lets go: they all go to
    /// the one writer that waited. The callers' answers, in order.
    async fn land_together(
        pool: &SqlitePool,
        readings: Vec<Reading>,
    ) -> Vec<Result<i64, crate::error::AppError>> {
        let held = crate::db::write_queue::turn(pool)
            .await
            .expect("a free turn");
        let callers: Vec<_> = readings
            .into_iter()
            .map(|r| spawn_reading(pool, r))
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            stored(pool).await,
            0,
            "nothing lands while another writer holds the turn"
        );
        drop(held);
        let mut answers = Vec::new();
        for caller in callers {
            let answer = tokio::time::timeout(PATIENCE, caller).await;
            answers.push(answer.expect("every caller is answered").unwrap());
        }
        answers
    }

    /// Who each snapshot's audit lines name, and for what: one line per snapshot.
    async fn logged(pool: &SqlitePool, snapshot: i64) -> (String, String) {
        let lines: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor_name, action FROM audit_log \
             WHERE entity_type = 'snapshot' AND json_extract(after, '$.id') = ?",
        )
        .bind(snapshot)
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(lines.len(), 1, "snapshot {snapshot} has one audit line");
        lines.into_iter().next().unwrap()
    }

    /// Readings from several callers and sources that queued together land in one batch, and
    /// each gets its own id, its own counts and its own audit line under its own caller and
    /// action.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_batch_logs_each_reading_under_its_caller(pool: SqlitePool) {
        let exp = seed(&pool, Seed::new("batch", Status::Running)).await;
        let source = |i: u64| if i == 2 { Source::Csv } else { Source::Manual };
        let readings = (0..5u64)
            .map(|i| Reading {
                caller: format!("caller {}", i / 2),
                experiment: exp.id,
                source: source(i),
                counts: users(100 + i),
            })
            .collect();
        let before = super::batches_written(&pool);
        let answers = land_together(&pool, readings).await;
        assert_eq!(
            super::batches_written(&pool) - before,
            1,
            "five readings that queued together went in one batch"
        );
        let stored = results::list(&pool, exp.id).await.unwrap();
        assert_eq!(stored.len(), 5, "five readings stored, none twice");
        for (i, answer) in (0u64..).zip(answers) {
            let id = answer.expect("every reading lands");
            let snapshot = stored
                .iter()
                .find(|s| s.id == id)
                .expect("its id is stored");
            assert_eq!(snapshot.counts, users(100 + i), "reading {i}");
            assert_eq!(snapshot.source, source(i), "reading {i}");
            let action = if i == 2 {
                "import results"
            } else {
                "record results"
            };
            assert_eq!(
                logged(&pool, id).await,
                (format!("caller {}", i / 2), action.to_string()),
                "reading {i} is logged under its caller and action"
            );
        }
    }

    /// One reading of a batch that cannot be stored (its experiment does not exist) fails alone:
    /// the others land, each once, each under its caller.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_bad_reading_fails_alone(pool: SqlitePool) {
        let exp = seed(&pool, Seed::new("batch", Status::Running)).await;
        let readings = (0..6u64)
            .map(|i| Reading {
                caller: format!("caller {i}"),
                experiment: if i == 3 {
                    ExperimentId(999_999)
                } else {
                    exp.id
                },
                source: Source::Manual,
                counts: users(100 + i),
            })
            .collect();
        let answers = land_together(&pool, readings).await;
        let stored = results::list(&pool, exp.id).await.unwrap();
        assert_eq!(stored.len(), 5, "the five good readings stored, none twice");
        for (i, answer) in (0u64..).zip(answers) {
            if i == 3 {
                assert!(answer.is_err(), "a reading of no experiment is refused");
                continue;
            }
            let id = answer.expect("the other readings land");
            assert!(stored
                .iter()
                .any(|s| s.id == id && s.counts == users(100 + i)));
            assert_eq!(logged(&pool, id).await.0, format!("caller {i}"));
        }
    }

    /// A caller that stopped waiting before its turn came (its request timed out, its client
    /// hung up) has its reading dropped, not stored behind its back: a retry would otherwise
    /// store it twice. The readings queued beside it land.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_reading_whose_caller_left_is_not_stored(pool: SqlitePool) {
        let exp = seed(&pool, Seed::new("left", Status::Running)).await;
        let reading = |i: u64| Reading {
            caller: format!("caller {i}"),
            experiment: exp.id,
            source: Source::Manual,
            counts: users(100 + i),
        };
        let held = crate::db::write_queue::turn(&pool)
            .await
            .expect("a free turn");
        let leaving = spawn_reading(&pool, reading(1));
        let staying = spawn_reading(&pool, reading(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
        leaving.abort();
        assert!(leaving.await.unwrap_err().is_cancelled());
        drop(held);
        let id = tokio::time::timeout(PATIENCE, staying)
            .await
            .expect("the caller who stayed is answered")
            .unwrap()
            .expect("its reading lands");
        let stored = results::list(&pool, exp.id).await.unwrap();
        assert_eq!(
            stored
                .iter()
                .map(|s| (s.id, s.counts.clone()))
                .collect::<Vec<_>>(),
            [(id, users(102))],
            "only the reading whose caller waited is stored"
        );
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
            let answer = tokio::time::timeout(PATIENCE, caller).await;
            ids.push(
                answer
                    .expect("answered")
                    .unwrap()
                    .expect("every reading lands"),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 200);
        assert_eq!(results::list(&pool, exp.id).await.unwrap().len(), 200);
    }
}
