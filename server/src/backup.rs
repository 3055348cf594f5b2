//! `verdict backup FILE` and `verdict restore FILE`: a consistent copy of the live database
//! (SQLite's `VACUUM INTO`, safe while the app serves: it reads one snapshot of the WAL database)
//! and putting such a copy back (only while the app is stopped; the copy is checked first).

use std::path::Path;

use anyhow::{bail, Context};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqlitePool};

/// Writes a consistent copy of the database to `file`, which must not exist yet.
pub async fn backup(pool: &SqlitePool, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!(
            "{} already exists: choose a new file name, a backup never overwrites",
            file.display()
        );
    }
    let target = file
        .to_str()
        .context("the backup path is not valid UTF-8")?;
    // The copy holds every account's password hash and the Mixpanel secret: created empty and
    // owner-only first (SQLite fills an empty file), so it is never readable by others.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(file)
            .with_context(|| format!("cannot create {}", file.display()))?;
    }
    app::db::maintenance::vacuum_into(pool, target)
        .await
        .with_context(|| format!("backing up into {}", file.display()))?;
    // Whatever the umask did, the finished copy is owner-only too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {} to its owner", file.display()))?;
    }
    Ok(())
}

/// Replaces the database at `database_path` with the backup `file` after checking the backup's
/// integrity. The server must be stopped: a running one would keep the old file open.
pub async fn restore(file: &Path, database_path: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("cannot open the backup {}", file.display()))?;
    if let Some(why) = app::db::maintenance::restore_refusal(&mut conn).await? {
        bail!("{}: {why}; nothing was restored", file.display());
    }
    drop(conn);
    // Copy next to the target first, then rename: the swap is atomic on one filesystem.
    let staging = database_path.with_extension("restoring");
    std::fs::copy(file, &staging).with_context(|| format!("copying to {}", staging.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", database_path.display());
        let _ = std::fs::remove_file(side);
    }
    std::fs::rename(&staging, database_path)
        .with_context(|| format!("replacing {}", database_path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrator = "app::db::MIGRATOR")]
    async fn a_backup_restores_to_the_same_program(pool: SqlitePool) {
        let who = app::domain::account::Identity::system("test setup");
        app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("verdict-backup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("copy.db");
        let _ = std::fs::remove_file(&file);
        backup(&pool, &file).await.unwrap();
        assert!(backup(&pool, &file)
            .await
            .unwrap_err()
            .to_string()
            .contains("already exists"));

        let live = dir.join("live.db");
        std::fs::write(&live, b"old contents").unwrap();
        restore(&file, &live).await.unwrap();
        let restored = app::db::connect(&format!("sqlite:{}", live.display()))
            .await
            .unwrap();
        assert_eq!(
            app::db::experiments::count(&restored).await.unwrap(),
            app::db::experiments::count(&pool).await.unwrap()
        );

        std::fs::write(dir.join("junk.db"), b"not a database at all").unwrap();
        assert!(restore(&dir.join("junk.db"), &live).await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
