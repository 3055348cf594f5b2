//! Database access (server only). Small named query functions per aggregate; callers pass a pool
//! or a transaction. SQL is runtime-checked sqlx with explicit column lists, every query exercised
//! by the `#[sqlx::test]` tests beside it on a fresh SQLite file.

pub mod accounts;
pub mod audit;
pub mod calendar_feeds;
pub mod demo;
mod enums;
pub mod experiments;
pub mod learnings;
pub mod program;
pub mod program_entries;
pub mod results;
pub mod reviews;
pub mod sessions;
pub mod signoffs;
#[cfg(test)]
pub(crate) mod test_seed;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens (creating if needed) the SQLite database: WAL so readers never block the writer, foreign
/// keys on, and a busy timeout so concurrent writers queue instead of failing with "locked".
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // 16 MiB of page cache per connection (SQLite's default is 2 MiB): the dashboard reads
        // every experiment, and with the default cache a 2,000-experiment program is re-read
        // from the OS on every request (measured: 31 ms -> 23 ms for the program query).
        .pragma("cache_size", "-16384");
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
}
