//! The database-file operations behind `verdict backup` and `verdict restore` (server/src/backup.rs
//! does the file handling around them).

use sqlx::{SqliteConnection, SqlitePool};

/// Writes a consistent copy of the live database into the empty or missing file `target`
/// (SQLite's `VACUUM INTO`: safe while the app serves, it reads one snapshot of the WAL database).
pub async fn vacuum_into(pool: &SqlitePool, target: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("VACUUM INTO ?", target).execute(pool).await?;
    Ok(())
}

/// Puts the database behind `pool` in write-ahead logging, a property of the file that every
/// connection then shares: readers never block the writer. `connect` asks for it on every
/// connection it opens; this is for pools opened some other way (the test harness's).
pub async fn use_write_ahead_log(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    // A PRAGMA's answer has no schema for the query macros to check (as below).
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(pool)
        .await?;
    match mode.as_str() {
        // An in-memory database has no file to log beside and stays "memory".
        "wal" | "memory" => Ok(()),
        other => Err(sqlx::Error::Protocol(format!(
            "SQLite kept the {other} journal instead of switching to WAL"
        ))),
    }
}

/// Why a file cannot be restored, or None when it is an intact Verdict database.
pub async fn restore_refusal(conn: &mut SqliteConnection) -> Result<Option<String>, sqlx::Error> {
    // PRAGMA results have no schema for the query macros to check: one of the two runtime
    // queries left.
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *conn)
        .await?;
    if check != "ok" {
        return Ok(Some(format!("it fails SQLite's integrity check ({check})")));
    }
    let tables = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!: i64" FROM sqlite_master WHERE type = 'table' AND name = 'experiment'"#
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((tables != 1).then(|| "it is not a Verdict database (no experiment table)".to_owned()))
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, SqlitePool};

    use crate::db::test_seed::{seed, Seed};
    use crate::domain::lifecycle::Status;

    /// Counts experiments inside a read transaction that stays open while `pool` saves one: in
    /// the rollback journal that save waited for the reader's lock until the busy timeout and
    /// failed with "database is locked"; in WAL it commits and the reader keeps its snapshot.
    async fn save_while_another_connection_reads(pool: &SqlitePool) {
        let mut reader = pool.acquire().await.unwrap();
        let mut read = reader.begin().await.unwrap();
        let count = "SELECT count(*) FROM experiment";
        let before: i64 = sqlx::query_scalar(count)
            .fetch_one(&mut *read)
            .await
            .unwrap();
        seed(pool, Seed::new("saved_meanwhile", Status::Proposed)).await;
        let during: i64 = sqlx::query_scalar(count)
            .fetch_one(&mut *read)
            .await
            .unwrap();
        assert_eq!(
            during, before,
            "the reader keeps the snapshot it started with"
        );
        read.commit().await.unwrap();
        crate::db::experiments::by_key(pool, "saved_meanwhile")
            .await
            .expect("the save is there for everyone else");
    }

    /// The server's own pool: a page that is still reading never holds up a save.
    #[tokio::test]
    async fn the_servers_database_lets_a_save_commit_while_a_page_reads() {
        let dir = std::env::temp_dir().join(format!(
            "verdict-wal-{}-{}",
            std::process::id(),
            crate::secret::random_hex::<8>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("verdict.db").display());
        let pool = crate::db::connect(&url).await.unwrap();
        crate::db::MIGRATOR.run(&pool).await.unwrap();
        save_while_another_connection_reads(&pool).await;
        pool.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A pool opened elsewhere (the test harness's rollback-journal databases) behaves the same
    /// once switched.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_switched_pool_lets_a_save_commit_while_another_connection_reads(pool: SqlitePool) {
        super::use_write_ahead_log(&pool).await.unwrap();
        save_while_another_connection_reads(&pool).await;
    }
}
