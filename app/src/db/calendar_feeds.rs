//! Secret calendar feed URLs, one per team (see the migration for why the secret is stored).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use sqlx::SqlitePool;

use crate::db::audit::AuditedTx;
use crate::error::AppError;

/// The team's feed secret, created on first request. Concurrent first requests agree: the
/// insert is ignored if another one won, and both read the stored row.
pub async fn secret_for_team(pool: &SqlitePool, team: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut tx = AuditedTx::begin(pool, "create calendar feed").await?;
    sqlx::query("INSERT OR IGNORE INTO calendar_feed (team, secret, created_at) VALUES (?, ?, ?)")
        .bind(team.trim())
        .bind(&fresh)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(
        sqlx::query_scalar("SELECT secret FROM calendar_feed WHERE team = ?")
            .bind(team.trim())
            .fetch_one(pool)
            .await?,
    )
}

/// The team a feed secret belongs to ('' for all teams), or None for an unknown secret.
pub async fn team_for_secret(pool: &SqlitePool, secret: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT team FROM calendar_feed WHERE secret = ?")
            .bind(secret)
            .fetch_optional(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use sqlx::SqlitePool;

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn each_team_gets_one_stable_unguessable_secret(pool: SqlitePool) {
        crate::db::test_seed::as_tester(each_team(pool)).await;
    }

    async fn each_team(pool: SqlitePool) {
        let growth = super::secret_for_team(&pool, "Growth").await.unwrap();
        assert_eq!(growth.len(), 48);
        assert_eq!(
            super::secret_for_team(&pool, " Growth ").await.unwrap(),
            growth
        );
        let all = super::secret_for_team(&pool, "").await.unwrap();
        assert_ne!(all, growth);
        assert_eq!(
            super::team_for_secret(&pool, &growth)
                .await
                .unwrap()
                .as_deref(),
            Some("Growth")
        );
        assert_eq!(
            super::team_for_secret(&pool, &all)
                .await
                .unwrap()
                .as_deref(),
            Some("")
        );
        assert_eq!(super::team_for_secret(&pool, "guess").await.unwrap(), None);
        let logged: Vec<String> = sqlx::query_scalar(
            "SELECT after FROM audit_log WHERE entity_type = 'calendar_feed' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            logged.len(),
            2,
            "one entry per feed created, none for a repeat"
        );
        assert!(logged
            .iter()
            .all(|a| !a.contains(&growth) && a.contains("(hidden)")));
    }
}
