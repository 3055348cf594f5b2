//! Database access (server only), and the only place SQL is written. Small named query functions
//! per aggregate; callers pass a pool or a transaction. Every fixed query is a `query!` /
//! `query_as!` macro, checked against the migrated schema at compile time (the `.sqlx/` data
//! lets builds run offline; `scripts/sqlx-prepare.sh` refreshes it, CI checks it is current);
//! the two searches whose shape depends on the filters (audit log, learnings) use
//! `QueryBuilder` with bound values. Enums are bound as values, never spelled in SQL. Every query
//! is also exercised by the `#[sqlx::test]` tests beside it on a fresh SQLite file.

pub mod accounts;
pub mod audit;
pub mod calendar_feeds;
mod enums;
pub mod experiments;
pub mod facets;
pub mod learnings;
pub mod list_rows;
pub mod maintenance;
pub mod mixpanel_source;
pub mod program;
pub mod program_entries;
pub mod results;
pub mod review_candidates;
pub mod reviews;
pub mod sessions;
pub mod signoffs;
mod snapshot_batch;
#[cfg(test)]
pub(crate) mod test_seed;
pub mod warehouse;
pub mod warehouse_load;
pub mod warehouse_source;
mod write_queue;

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// The `(table, column)` of a UNIQUE violation, read from SQLite's message ("UNIQUE constraint
/// failed: experiment.key"; a composite key names its first column).
pub(crate) fn unique_violation(message: &str) -> Option<(&str, &str)> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    columns.split(", ").next()?.split_once('.')
}

/// Maps a UNIQUE violation on `table.column` to a conflict that says what clashed, for the call
/// site that knows what the value means; every other error converts as usual.
pub(crate) fn on_unique(
    table: &'static str,
    column: &'static str,
    message: impl FnOnce() -> String,
) -> impl FnOnce(sqlx::Error) -> crate::error::AppError {
    move |e| match &e {
        sqlx::Error::Database(db)
            if db.is_unique_violation()
                && unique_violation(db.message()) == Some((table, column)) =>
        {
            crate::error::AppError::Conflict(message())
        }
        _ => e.into(),
    }
}

/// Whether `conn` is outside any transaction, once the rollbacks queued for it (a dropped
/// transaction queues one) have run; logs when it is not.
async fn settled_outside_transaction(conn: &mut sqlx::SqliteConnection) -> bool {
    use sqlx::{Connection, Database, Sqlite, TransactionManager};
    let depth = |conn: &sqlx::SqliteConnection| {
        <Sqlite as Database>::TransactionManager::get_transaction_depth(conn)
    };
    if depth(conn) == 0 {
        return true;
    }
    // A ping goes through the same queue as the rollback, so after it the depth is settled.
    if conn.ping().await.is_err() {
        return false;
    }
    let left = depth(conn);
    if left > 0 {
        tracing::warn!(
            depth = left,
            "a connection left in a transaction was closed"
        );
    }
    left == 0
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens (creating if needed) the SQLite database: WAL so readers never block the writer, foreign
/// keys on, and a busy timeout so concurrent writers queue instead of failing with "locked".
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(write_queue::WAIT)
        // 16 MiB of page cache per connection (SQLite's default is 2 MiB): the dashboard reads
        // every experiment, and with the default cache a 2,000-experiment program is re-read
        // from the OS on every request (measured: 31 ms -> 23 ms for the program query).
        .pragma("cache_size", "-16384");
    SqlitePoolOptions::new()
        .max_connections(8)
        // A connection must not go back to the pool inside a transaction. Under concurrent
        // writes (scripts/bench_pages.sh, 64 connections) one did: its BEGIN IMMEDIATE held
        // SQLite's write lock, so every other writer failed with "database is locked" after the
        // busy timeout, and every write on it with "begin_with at non-zero transaction depth".
        // Such a connection is closed instead (closing rolls back and frees the lock); checked
        // again before a connection is handed out.
        .after_release(|conn, _| {
            Box::pin(async move { Ok(settled_outside_transaction(conn).await) })
        })
        .before_acquire(|conn, _| {
            Box::pin(async move { Ok(settled_outside_transaction(conn).await) })
        })
        .connect_with(options)
        .await
}

#[cfg(test)]
mod pool_tests {
    #[tokio::test]
    async fn a_connection_left_in_a_transaction_is_never_handed_out_again() {
        let dir = std::env::temp_dir().join(format!("verdict-pool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = super::connect(&format!("sqlite:{}", dir.join("pool.db").display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        {
            // A transaction that is never committed nor rolled back, holding the write lock,
            // its connection back in the pool: what the load test caught.
            let mut conn = pool.acquire().await.unwrap();
            let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
            sqlx::query("INSERT INTO t VALUES (-1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            std::mem::forget(tx);
        }
        for i in 0..20 {
            let mut tx = pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .expect("a connection outside any transaction");
            sqlx::query("INSERT INTO t VALUES (?)")
                .bind(i)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let rows: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(
            rows,
            (0..20).collect::<Vec<i64>>(),
            "the leaked write rolled back"
        );
        pool.close().await;
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[cfg(test)]
mod unique_tests {
    #[test]
    fn a_violation_names_its_table_and_column() {
        use super::unique_violation;
        assert_eq!(
            unique_violation("UNIQUE constraint failed: experiment.key"),
            Some(("experiment", "key"))
        );
        assert_eq!(
            unique_violation("UNIQUE constraint failed: sign_off.experiment_id, sign_off.role"),
            Some(("sign_off", "experiment_id"))
        );
        assert_eq!(unique_violation("CHECK constraint failed: x"), None);
    }
}
