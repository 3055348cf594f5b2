//! Pulls every running experiment once per interval while Mixpanel is set up. Pulls run one after
//! another, never side by side: the export API allows few queries an hour per project.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::task::JoinHandle;

use super::registry::PullRegistry;
use super::{runner, Trigger};
use crate::domain::account::Identity;
use crate::domain::results::Source;

/// How often the schedule looks for due experiments; the interval itself is in the settings.
const TICK: Duration = Duration::from_secs(60);

/// Starts the schedule; it runs until the process ends.
pub fn spawn(pool: SqlitePool, registry: PullRegistry) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let who = Identity::system("scheduled pull");
            if let Err(e) = crate::auth::acting_as(who, round(&pool, &registry)).await {
                tracing::warn!(error = %e, "scheduled pulls skipped this round");
            }
        }
    })
}

/// One look: pulls each due experiment, waiting for each pull to end before the next.
async fn round(pool: &SqlitePool, registry: &PullRegistry) -> Result<(), crate::error::AppError> {
    // Pulls read the warehouse when one is set up for them, else Mixpanel's export API; the
    // schedule's interval is the Mixpanel settings' (6 hours without them).
    let warehouse = crate::db::warehouse_source::load(pool)
        .await?
        .filter(|w| w.use_for_pulls);
    let mixpanel = crate::db::mixpanel_source::load(pool).await?;
    let (interval, source) = match (&warehouse, &mixpanel) {
        (Some(_), settings) => (
            settings
                .as_ref()
                .map_or(std::time::Duration::from_secs(6 * 3600), |s| s.interval()),
            Source::Warehouse,
        ),
        (None, Some(settings)) => (settings.interval(), Source::Mixpanel),
        (None, None) => return Ok(()),
    };
    let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
    for exp in crate::db::mixpanel_source::running(pool, source).await? {
        let last_attempt = registry.status(&exp.key).map(|s| s.started_at);
        if registry.status(&exp.key).is_some_and(|s| s.is_running())
            || !is_due(
                Utc::now(),
                interval,
                [exp.started_at, exp.last_pull, last_attempt],
            )
        {
            continue;
        }
        // The project's 60 queries an hour are shared with "Pull now": wait for room (or for
        // the time a 429 asked for) rather than spend a query on a certain refusal.
        // Mixpanel allows 60 export queries an hour; a warehouse has no such budget.
        let room = (source == Source::Mixpanel)
            .then(|| registry.budget().next_room(std::time::Instant::now()))
            .flatten();
        if let Some(room) = room {
            let wait = room.saturating_duration_since(std::time::Instant::now());
            tracing::info!(
                key = exp.key,
                wait_secs = wait.as_secs(),
                "scheduled pulls wait for room in the export API's hourly limit"
            );
            return Ok(());
        }
        match runner::start(pool, registry, &exp.key, Trigger::Schedule).await {
            Ok(started) => {
                let _ = started.task.await;
            }
            Err(e) => tracing::warn!(key = exp.key, error = %e, "scheduled pull not started"),
        }
    }
    Ok(())
}

/// Due once a full interval has passed since the latest of: the start of the run (nothing to
/// count at launch), the last stored pull, and the last attempt (a failing pull is not retried
/// every tick, which would spend the API's hourly queries).
fn is_due(
    now: DateTime<Utc>,
    interval: chrono::Duration,
    since: [Option<DateTime<Utc>>; 3],
) -> bool {
    match since.into_iter().flatten().max() {
        Some(latest) => now - latest >= interval,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap())
    }

    #[test]
    fn an_experiment_is_due_one_interval_after_its_latest_start_pull_or_attempt() {
        let six = chrono::Duration::hours(6);
        let now = at(12).unwrap();
        assert!(
            is_due(now, six, [at(6), None, None]),
            "launched six hours ago"
        );
        assert!(
            !is_due(now, six, [at(7), None, None]),
            "launched five hours ago"
        );
        assert!(
            !is_due(now, six, [at(0), at(8), None]),
            "pulled four hours ago"
        );
        assert!(
            !is_due(now, six, [at(0), at(1), at(10)]),
            "a failed attempt two hours ago"
        );
        assert!(is_due(now, six, [None, None, None]));
    }
}
