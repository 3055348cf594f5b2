//! The list view's rows (`/experiments`), one per experiment, kept in memory between requests.
//!
//! A row's lift comes from analysing the experiment's latest reading, ~60 µs each: sorting
//! 10,000 experiments by lift took ~600 ms a request. The rows depend only on the experiment,
//! its latest snapshot and today's date (the no-peeking rule), so they are cached like the
//! dashboard's entries: labelled with `program_version`, patched from the change log after a
//! write, rebuilt when the day changes. A request then runs only the indexed filter query for
//! the matching ids and picks their rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use sqlx::SqlitePool;

use super::program_entries::{changed_since, version_of};
use crate::domain::board::BoardFilter;
use crate::domain::experiment_list::ListRow;
use crate::error::AppError;

#[derive(Clone)]
struct Cached {
    instance: String,
    version: i64,
    today: NaiveDate,
    rows: Arc<HashMap<i64, Arc<ListRow>>>,
}

static CACHE: Mutex<Option<Cached>> = Mutex::new(None);

/// The rows of the experiments `filter` matches, in the filter query's order (most recently
/// updated first), before the status filter and the sort.
pub async fn matching(
    pool: &SqlitePool,
    filter: &BoardFilter,
    today: NaiveDate,
) -> Result<Vec<Arc<ListRow>>, AppError> {
    let ids = super::experiments::list_ids(pool, filter).await?;
    let rows = rows(pool, today).await?;
    // Shared, not copied: the list sorts 10,000 of them to show 50.
    Ok(ids.iter().filter_map(|id| rows.get(id).cloned()).collect())
}

/// Every experiment's row by id, as of `today`.
async fn rows(
    pool: &SqlitePool,
    today: NaiveDate,
) -> Result<Arc<HashMap<i64, Arc<ListRow>>>, AppError> {
    let (instance, version) = version_of(pool).await?;
    let cached = CACHE
        .lock()
        .expect("the list cache lock is never held across a panic")
        .clone()
        .filter(|c| c.instance == instance && c.today == today && c.version <= version);
    let rows = match cached {
        Some(hit) if hit.version == version => return Ok(hit.rows),
        Some(stale) => match changed_since(pool, stale.version, version).await? {
            Some(changed) => {
                let mut rows = (*stale.rows).clone();
                for id in &changed {
                    rows.remove(id);
                }
                rows.extend(load(pool, Some(&changed), today).await?);
                rows
            }
            None => load(pool, None, today).await?,
        },
        None => load(pool, None, today).await?,
    };
    let rows = Arc::new(rows);
    *CACHE
        .lock()
        .expect("the list cache lock is never held across a panic") = Some(Cached {
        instance,
        version,
        today,
        rows: rows.clone(),
    });
    Ok(rows)
}

/// The rows of every experiment, or of those in `only` (a deleted one simply has none).
async fn load(
    pool: &SqlitePool,
    only: Option<&[i64]>,
    today: NaiveDate,
) -> Result<HashMap<i64, Arc<ListRow>>, AppError> {
    let latest = match only {
        Some(ids) => super::program::of_ids(pool, ids).await?,
        None => super::program::everything(pool).await?,
    };
    Ok(latest
        .iter()
        .map(|(e, counts)| (e.id.0, Arc::new(ListRow::of(e, counts.as_ref(), today))))
        .collect())
}

#[cfg(test)]
mod tests {
    use sqlx::SqlitePool;

    use crate::db::test_seed::{allow_raw_writes, as_tester, seed, Seed};
    use crate::domain::board::BoardFilter;
    use crate::domain::experiment_list::ListRow;
    use crate::domain::lifecycle::Status;

    async fn fresh(pool: &SqlitePool, today: chrono::NaiveDate) -> Vec<std::sync::Arc<ListRow>> {
        let experiments = crate::db::experiments::list(pool, &BoardFilter::default())
            .await
            .unwrap();
        crate::db::program::with_latest(pool, experiments)
            .await
            .unwrap()
            .iter()
            .map(|(e, c)| std::sync::Arc::new(ListRow::of(e, c.as_ref(), today)))
            .collect()
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn cached_rows_follow_writes_and_the_filter(pool: SqlitePool) {
        let today = chrono::Utc::now().date_naive();
        let running = seed(&pool, Seed::new("running", Status::Running)).await;
        seed(&pool, Seed::new("done", Status::Done)).await;
        let all = BoardFilter::default();
        assert_eq!(
            super::matching(&pool, &all, today).await.unwrap(),
            fresh(&pool, today).await
        );

        // A reading, an edit, a new experiment: the next read shows each.
        as_tester(crate::db::results::insert(
            &pool,
            running.id,
            crate::domain::results::Source::Manual,
            &crate::domain::results::Counts {
                arms: vec![
                    crate::domain::results::ArmCount {
                        name: "control".into(),
                        users: 1_000,
                    },
                    crate::domain::results::ArmCount {
                        name: "treatment".into(),
                        users: 1_000,
                    },
                ],
                ..Default::default()
            },
            0,
            0,
            crate::db::test_seed::at(11, 10),
        ))
        .await
        .unwrap();
        allow_raw_writes(&pool).await;
        sqlx::query("UPDATE experiment SET team = 'Pricing', title = 'Renamed' WHERE key = 'done'")
            .execute(&pool)
            .await
            .unwrap();
        seed(&pool, Seed::new("idea", Status::Proposed)).await;
        let rows = super::matching(&pool, &all, today).await.unwrap();
        assert_eq!(rows, fresh(&pool, today).await);
        assert!(rows.iter().any(|r| r.title == "Renamed"));
        assert_eq!(rows.len(), 3);

        // The filter still runs in SQL: only the matching experiment's row.
        let pricing = BoardFilter {
            team: "Pricing".into(),
            ..BoardFilter::default()
        };
        let rows = super::matching(&pool, &pricing, today).await.unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["done"]);
    }
}
