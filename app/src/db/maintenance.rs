//! The database-file operations behind `verdict backup` and `verdict restore` (server/src/backup.rs
//! does the file handling around them).

use sqlx::{SqliteConnection, SqlitePool};

/// Writes a consistent copy of the live database into the empty or missing file `target`
/// (SQLite's `VACUUM INTO`: safe while the app serves, it reads one snapshot of the WAL database).
pub async fn vacuum_into(pool: &SqlitePool, target: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("VACUUM INTO ?", target).execute(pool).await?;
    Ok(())
}

/// Why a file cannot be restored, or None when it is an intact Verdict database.
pub async fn restore_refusal(conn: &mut SqliteConnection) -> Result<Option<String>, sqlx::Error> {
    // PRAGMA results have no schema for the query macros to check: the one runtime query left.
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
