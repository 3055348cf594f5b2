//! Secret calendar feed URLs, one per team (see the migration for why the secret is stored).

use chrono::Utc;
use sqlx::SqlitePool;

use crate::db::audit::AuditedTx;
use crate::error::AppError;

/// The team's feed secret, if someone created one. A pure read: pages call it while they
/// render, and a read must never write (the feed is created by an editor's explicit POST).
pub async fn secret_for_team(pool: &SqlitePool, team: &str) -> Result<Option<String>, AppError> {
    let team = team.trim();
    Ok(
        sqlx::query_scalar!("SELECT secret FROM calendar_feed WHERE team = ?", team)
            .fetch_optional(pool)
            .await?,
    )
}

/// Creates the team's feed ('' = every team), or with `rotate` replaces its secret so every
/// old subscription stops working; returns the secret. The team must exist: a feed for a
/// typo would be a link nobody can find again. Concurrent creations agree (the insert is
/// ignored if another one won, and both read the stored row).
pub async fn create_feed(pool: &SqlitePool, team: &str, rotate: bool) -> Result<String, AppError> {
    let team = team.trim();
    if !team.is_empty() {
        let known = sqlx::query_scalar!(
            r#"SELECT 1 AS "known!: i64" FROM experiment WHERE team = ? LIMIT 1"#,
            team
        )
        .fetch_optional(pool)
        .await?;
        if known.is_none() {
            return Err(AppError::invalid(
                "team",
                format!("no experiment belongs to a team named '{team}'"),
            ));
        }
    }
    let fresh = crate::secret::random_hex::<24>();
    let action = if rotate {
        "rotate calendar feed"
    } else {
        "create calendar feed"
    };
    let mut tx = AuditedTx::begin(pool, action).await?;
    if rotate {
        sqlx::query!("DELETE FROM calendar_feed WHERE team = ?", team)
            .execute(&mut *tx)
            .await?;
    }
    let now = Utc::now();
    sqlx::query!(
        "INSERT OR IGNORE INTO calendar_feed (team, secret, created_at) VALUES (?, ?, ?)",
        team,
        fresh,
        now
    )
    .execute(&mut *tx)
    .await?;
    let secret = sqlx::query_scalar!("SELECT secret FROM calendar_feed WHERE team = ?", team)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(secret)
}

/// The team a feed secret belongs to ('' for all teams), or None for an unknown secret.
pub async fn team_for_secret(pool: &SqlitePool, secret: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar!("SELECT team FROM calendar_feed WHERE secret = ?", secret)
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
        use crate::db::test_seed::{seed, Seed};
        use crate::domain::lifecycle::Status;
        seed(
            &pool,
            Seed {
                team: "Growth",
                ..Seed::new("growth_test", Status::Proposed)
            },
        )
        .await;
        assert_eq!(super::secret_for_team(&pool, "Growth").await.unwrap(), None);
        let growth = super::create_feed(&pool, "Growth", false).await.unwrap();
        assert_eq!(growth.len(), 48);
        assert_eq!(
            super::create_feed(&pool, " Growth ", false).await.unwrap(),
            growth
        );
        assert_eq!(
            super::secret_for_team(&pool, "Growth")
                .await
                .unwrap()
                .as_deref(),
            Some(growth.as_str())
        );
        let all = super::create_feed(&pool, "", false).await.unwrap();
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
        assert!(super::create_feed(&pool, "Nobody", false).await.is_err());
        assert_eq!(super::secret_for_team(&pool, "Nobody").await.unwrap(), None);
        let rotated = super::create_feed(&pool, "Growth", true).await.unwrap();
        assert_ne!(rotated, growth);
        assert_eq!(super::team_for_secret(&pool, &growth).await.unwrap(), None);
        let logged: Vec<String> = sqlx::query_scalar(
            "SELECT coalesce(after, before) FROM audit_log WHERE entity_type = 'calendar_feed' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            logged.len(),
            4,
            "one entry per feed created, none for a repeat, two for a rotation"
        );
        assert!(logged
            .iter()
            .all(|a| !a.contains(&growth) && !a.contains(&rotated) && a.contains("(hidden)")));
    }
}
