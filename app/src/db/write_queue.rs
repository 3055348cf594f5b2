//! Writers take turns here, first come first served, before they ask SQLite for its write lock.
//!
//! SQLite has one writer at a time. A connection that finds the lock taken waits in SQLite's
//! busy handler, which does not wake when the lock frees: it sleeps and tries again, 1, 2, 5,
//! 10 ... up to 100 ms between tries. Under a stream of writes (the weekly review triaging
//! while results land; `scripts/bench_pages.sh` with 16 writers) a write that lost one race
//! then slept up to 100 ms with the lock free, and the writes' p99 was several hundred
//! milliseconds for transactions of about one. Queued here, each writer starts the moment the
//! one before it finishes. Another process writing the same file (the `verdict` CLI) is still
//! waited out by the busy timeout.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// As long as SQLite's own busy timeout (`db::connect`): past it, the writer goes on to SQLite,
/// which then refuses it as it always did. A queue that never moves (a writer waiting on itself)
/// thus fails as before instead of hanging.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// One queue per database file (tests open many databases in one process).
fn queues() -> &'static Mutex<HashMap<PathBuf, Arc<Semaphore>>> {
    static QUEUES: OnceLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = OnceLock::new();
    QUEUES.get_or_init(Default::default)
}

/// Waits for this writer's turn on `pool`'s database; the turn ends when the value is dropped.
/// `None` after [`WAIT`]: the write then proceeds and SQLite's busy timeout decides.
pub(crate) async fn turn(pool: &SqlitePool) -> Option<OwnedSemaphorePermit> {
    let file = pool.connect_options().get_filename().to_path_buf();
    let queue = queues()
        .lock()
        .ok()?
        .entry(file)
        .or_insert_with(|| Arc::new(Semaphore::new(1)))
        .clone();
    tokio::time::timeout(WAIT, queue.acquire_owned())
        .await
        .ok()?
        .ok()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use sqlx::SqlitePool;

    use crate::db::audit::AuditedTx;
    use crate::db::test_seed::as_tester;

    /// A second writer waits for the first to commit, then goes on at once; sixteen writers at
    /// once all land, none refused.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn writers_take_turns_and_all_land(pool: SqlitePool) {
        let first = as_tester(AuditedTx::begin(&pool, "first")).await.unwrap();
        let second_began = Arc::new(AtomicBool::new(false));
        let second = tokio::spawn({
            let (pool, began) = (pool.clone(), second_began.clone());
            as_tester(async move {
                let tx = AuditedTx::begin(&pool, "second").await.unwrap();
                began.store(true, Ordering::SeqCst);
                tx.commit().await.unwrap();
            })
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            !second_began.load(Ordering::SeqCst),
            "the second writer began while the first held its turn"
        );
        first.commit().await.unwrap();
        second.await.unwrap();
        assert!(second_began.load(Ordering::SeqCst));

        let writers: Vec<_> = (0..16)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(as_tester(async move {
                    let mut tx = AuditedTx::begin(&pool, "bench").await?;
                    sqlx::query("UPDATE audit_context SET action = ? WHERE id = 1")
                        .bind(format!("write {i}"))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                }))
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().expect("every writer lands");
        }
    }

    /// The queue itself: one turn at a time per database file, first come first served, and
    /// another database's writers do not wait for it.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn one_turn_at_a_time_per_database(pool: SqlitePool) {
        let dir = std::env::temp_dir().join(format!("verdict-queue-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let other = crate::db::connect(&format!("sqlite:{}", dir.join("other.db").display()))
            .await
            .unwrap();
        let mine = super::turn(&pool).await.expect("a free queue gives a turn");
        let wait = std::time::Duration::from_millis(200);
        assert!(
            tokio::time::timeout(wait, super::turn(&pool))
                .await
                .is_err(),
            "a second turn on the same database waits"
        );
        assert!(
            super::turn(&other).await.is_some(),
            "another database has its own queue"
        );
        let next = tokio::spawn({
            let pool = pool.clone();
            async move { super::turn(&pool).await.is_some() }
        });
        drop(mine);
        assert!(
            next.await.unwrap(),
            "the next writer's turn comes when mine ends"
        );
        other.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }
}
