//! The weekly review's candidates (everything proposed or running, and what ended after the
//! last review, each with its latest counts) kept between views, as the dashboard keeps its
//! entries (`program_entries`): labelled with the database, its `program_version` and the
//! review's `since`, and after a write patched by re-reading only the experiments the change
//! log names. At 10,000 experiments reading and decoding every candidate's brief was most of
//! the review's render after a write.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::program_entries::{changed_since, patch_by_id, version_of};
use crate::domain::review;
use crate::error::AppError;

/// One candidate, shared between the cache and every agenda built from it (with what the
/// agenda worked out from it: see `domain::review::Candidate`).
pub type Candidate = Arc<review::Candidate>;

#[derive(Clone)]
struct Cached {
    instance: String,
    version: i64,
    since: DateTime<Utc>,
    /// In id order.
    items: Arc<Vec<Candidate>>,
}

static CACHE: Mutex<Option<Cached>> = Mutex::new(None);

/// What a weekly review since `since` can show, as `program::for_review` reads it (in id
/// order), from memory while nothing it reads has changed.
pub async fn for_review(
    pool: &SqlitePool,
    since: DateTime<Utc>,
) -> Result<Arc<Vec<Candidate>>, AppError> {
    // The version before the data, as in `program_entries::entries`: a write landing in
    // between makes the data newer than its label, never older.
    let (instance, version) = version_of(pool).await?;
    let cached = CACHE
        .lock()
        .expect("the review cache lock is never held across a panic")
        .clone()
        .filter(|c| c.instance == instance && c.since == since && c.version <= version);
    let fresh = match cached {
        Some(hit) if hit.version == version => return Ok(hit.items),
        Some(stale) => match patched(pool, &stale, version).await? {
            Some(patched) => patched,
            None => reloaded(pool, instance, version, since).await?,
        },
        None => reloaded(pool, instance, version, since).await?,
    };
    let items = fresh.items.clone();
    *CACHE
        .lock()
        .expect("the review cache lock is never held across a panic") = Some(fresh);
    Ok(items)
}

async fn reloaded(
    pool: &SqlitePool,
    instance: String,
    version: i64,
    since: DateTime<Utc>,
) -> Result<Cached, AppError> {
    let mut items = super::program::for_review(pool, since).await?;
    items.sort_by_key(|(e, _)| e.id.0);
    Ok(Cached {
        instance,
        version,
        since,
        items: Arc::new(
            items
                .into_iter()
                .map(|item| Arc::new(review::Candidate::from(item)))
                .collect(),
        ),
    })
}

/// `stale` brought up to `version`: the experiments the change log names are re-read and kept
/// only if the review still shows them; every other candidate is shared, not copied. `None`
/// when the log cannot say what changed.
async fn patched(
    pool: &SqlitePool,
    stale: &Cached,
    version: i64,
) -> Result<Option<Cached>, AppError> {
    let Some(changed) = changed_since(pool, stale.version, version).await? else {
        return Ok(None);
    };
    let fresh = super::program::review_of_ids(pool, stale.since, &changed)
        .await?
        .into_iter()
        .map(|item| (item.0.id.0, review::Candidate::from(item)))
        .collect();
    let ids: Vec<i64> = stale
        .items
        .iter()
        .map(|item| item.experiment.id.0)
        .collect();
    let (_, items) = patch_by_id(&ids, &stale.items, &changed, fresh);
    Ok(Some(Cached {
        instance: stale.instance.clone(),
        version,
        since: stale.since,
        items: Arc::new(items),
    }))
}

#[cfg(test)]
#[path = "review_candidates_tests.rs"]
mod tests;
