//! Queries behind pulling (`crate::pull`): the one-row Mixpanel settings, and what the schedule
//! needs to know about running experiments.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::audit::AuditedTx;
use crate::domain::lifecycle::Status;
use crate::domain::results::Source;
use crate::error::AppError;
use crate::pull::settings::{AuthMethod, MixpanelSettings, Residency, Secret};

struct SettingsRow {
    project_id: i64,
    auth: AuthMethod,
    username: String,
    secret: String,
    residency: Residency,
    interval_hours: i64,
    timezone: String,
    local_time: bool,
}

impl SettingsRow {
    fn into_settings(self) -> MixpanelSettings {
        MixpanelSettings {
            project_id: self.project_id,
            auth: self.auth,
            username: self.username,
            secret: Secret::new(self.secret),
            residency: self.residency,
            // The column's CHECK keeps it within 1..=168.
            interval_hours: u32::try_from(self.interval_hours).unwrap_or(1),
            // Only names that parsed are saved; a zone a later tz database dropped reads as
            // UTC rather than failing every pull.
            timezone: self.timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
            local_time: self.local_time,
        }
    }
}

/// The workspace's settings, or None before anyone saved them.
#[tracing::instrument(skip_all)]
pub async fn load(pool: &SqlitePool) -> Result<Option<MixpanelSettings>, AppError> {
    let row = sqlx::query_as!(
        SettingsRow,
        r#"SELECT project_id, auth AS "auth: _", username, secret, residency AS "residency: _",
                  interval_hours, timezone, local_time AS "local_time: bool"
           FROM mixpanel_source WHERE id = 1"#
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(SettingsRow::into_settings))
}

#[tracing::instrument(skip_all)]
pub async fn save(
    pool: &SqlitePool,
    settings: &MixpanelSettings,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = AuditedTx::begin(pool, "save Mixpanel settings").await?;
    let (secret, interval) = (settings.secret.expose(), i64::from(settings.interval_hours));
    let timezone = settings.timezone.name();
    // `base_url` is no longer settable here (it is the deployment's VERDICT_MIXPANEL_BASE_URL):
    // every save clears an old value.
    sqlx::query!(
        "INSERT INTO mixpanel_source (id, project_id, auth, username, secret, residency, base_url, \
         interval_hours, timezone, local_time, updated_at) VALUES (1, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id, auth = excluded.auth, \
         username = excluded.username, secret = excluded.secret, residency = excluded.residency, \
         base_url = excluded.base_url, interval_hours = excluded.interval_hours, \
         timezone = excluded.timezone, local_time = excluded.local_time, \
         updated_at = excluded.updated_at",
        settings.project_id,
        settings.auth,
        settings.username,
        secret,
        settings.residency,
        interval,
        timezone,
        settings.local_time,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A running experiment as the schedule sees it.
#[derive(Debug, Clone)]
pub struct ScheduledExperiment {
    pub key: String,
    pub started_at: Option<DateTime<Utc>>,
    /// When its latest pulled snapshot was taken.
    pub last_pull: Option<DateTime<Utc>>,
}

/// Running, unarchived experiments with their latest snapshot from `source` (what the
/// schedule pulls from), oldest pull first.
#[tracing::instrument(skip_all)]
pub async fn running(
    pool: &SqlitePool,
    source: Source,
) -> Result<Vec<ScheduledExperiment>, AppError> {
    let running = Status::Running;
    Ok(sqlx::query_as!(
        ScheduledExperiment,
        r#"SELECT e.key AS "key!", e.started_at AS "started_at: DateTime<Utc>",
           MAX(s.taken_at) AS "last_pull: DateTime<Utc>"
           FROM experiment e LEFT JOIN snapshot s ON s.experiment_id = e.id AND s.source = ?
           WHERE e.status = ? AND e.archived = 0
           GROUP BY e.id ORDER BY MAX(s.taken_at) IS NOT NULL, MAX(s.taken_at), e.id"#,
        source,
        running
    )
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_seed::{allow_raw_writes, as_tester};
    use crate::pull::settings::SettingsForm;

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn settings_round_trip_and_a_second_save_replaces_the_row(pool: SqlitePool) {
        assert_eq!(load(&pool).await.unwrap(), None);
        let form = SettingsForm {
            project_id: "42".into(),
            username: "sa".into(),
            secret: "first".into(),
            residency: Residency::India,
            interval_hours: "2".into(),
            timezone: "America/Los_Angeles".into(),
            local_time: true,
            ..SettingsForm::default()
        };
        let first = form.parse(None).unwrap();
        as_tester(save(&pool, &first, Utc::now())).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), Some(first.clone()));
        let second = SettingsForm {
            secret: "second".into(),
            ..form
        }
        .parse(None)
        .unwrap();
        as_tester(save(&pool, &second, Utc::now())).await.unwrap();
        let loaded = load(&pool).await.unwrap().unwrap();
        assert_eq!(loaded.secret.expose(), "second");
        assert_eq!(loaded.residency.host(), "https://data-in.mixpanel.com");
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM mixpanel_source")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn running_experiments_are_listed_with_their_latest_mixpanel_pull(pool: SqlitePool) {
        let t = "2026-11-02T09:00:00Z";
        allow_raw_writes(&pool).await;
        for (key, status, started) in [
            ("live_one", "running", Some(t)),
            ("live_two", "running", Some(t)),
            ("drafted", "proposed", None),
        ] {
            sqlx::query("INSERT INTO experiment (key, title, owner, team, status, started_at, created_at, updated_at) VALUES (?, 't', 'o', 'x', ?, ?, ?, ?)")
                .bind(key).bind(status).bind(started).bind(t).bind(t)
                .execute(&pool).await.unwrap();
        }
        for (source, at) in [
            ("mixpanel", "2026-11-03T09:00:00Z"),
            ("manual", "2026-11-04T09:00:00Z"),
        ] {
            sqlx::query("INSERT INTO snapshot (experiment_id, taken_at, source, counts) SELECT id, ?, ?, '{}' FROM experiment WHERE key = 'live_two'")
                .bind(at).bind(source)
                .execute(&pool).await.unwrap();
        }
        let rows = running(&pool, Source::Mixpanel).await.unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            ["live_one", "live_two"],
            "never pulled first, drafts left out"
        );
        assert_eq!(rows[0].last_pull, None);
        assert_eq!(
            rows[1].last_pull.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-03T09:00:00+00:00"),
            "manual entries do not count"
        );
    }
}
