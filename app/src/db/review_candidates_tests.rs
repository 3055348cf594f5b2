use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{for_review, Candidate};
use crate::db::test_seed::{allow_raw_writes, at, seed, Seed};
use crate::domain::experiment::Experiment;
use crate::domain::lifecycle::Status;
use crate::domain::results::Counts;

fn unshared(items: &[Candidate]) -> Vec<(Experiment, Option<Counts>)> {
    items
        .iter()
        .map(|item| (item.experiment.clone(), item.counts.clone()))
        .collect()
}

/// The review's candidates straight from the database, in id order.
async fn straight(pool: &SqlitePool, since: DateTime<Utc>) -> Vec<(Experiment, Option<Counts>)> {
    let mut items = crate::db::program::for_review(pool, since).await.unwrap();
    items.sort_by_key(|(e, _)| e.id.0);
    items
}

fn keys(items: &[Candidate]) -> Vec<String> {
    items
        .iter()
        .map(|item| item.experiment.key.to_string())
        .collect()
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_kept_candidates_follow_every_write_and_share_what_no_write_touched(pool: SqlitePool) {
    let since = at(11, 10);
    seed(&pool, Seed::new("running", Status::Running)).await;
    let untouched = seed(&pool, Seed::new("untouched", Status::Proposed)).await;
    seed(&pool, Seed::new("recent_done", Status::Done)).await;
    seed(&pool, Seed::new("gone", Status::Proposed)).await;
    let old_done = Seed {
        started: at(10, 1),
        ended: at(10, 20),
        ..Seed::new("old_done", Status::Done)
    };
    seed(&pool, old_done).await;

    let before = for_review(&pool, since).await.unwrap();
    assert_eq!(unshared(&before), straight(&pool, since).await);
    assert_eq!(
        keys(&before),
        ["running", "untouched", "recent_done", "gone"],
        "what ended before the last review is not on it"
    );
    assert!(
        Arc::ptr_eq(&before, &for_review(&pool, since).await.unwrap()),
        "nothing changed, so the second read is the kept one"
    );

    // A new proposal, an edit, a deletion, and a test whose end moves before the last review.
    seed(&pool, Seed::new("new", Status::Proposed)).await;
    allow_raw_writes(&pool).await;
    for sql in [
        "UPDATE experiment SET title = 'Renamed' WHERE key = 'running'",
        "DELETE FROM experiment WHERE key = 'gone'",
        "UPDATE experiment SET ended_at = replace(ended_at, '2026-11-16', '2026-11-01') \
         WHERE key = 'recent_done'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let after = for_review(&pool, since).await.unwrap();
    assert_eq!(unshared(&after), straight(&pool, since).await);
    assert_eq!(keys(&after), ["running", "untouched", "new"]);
    assert_eq!(after[0].experiment.title, "Renamed");
    let find = |items: &[Candidate]| {
        items
            .iter()
            .find(|item| item.experiment.id == untouched.id)
            .unwrap()
            .clone()
    };
    assert!(
        Arc::ptr_eq(&find(&before), &find(&after)),
        "a candidate no write touched is shared, not read again"
    );

    // Another week's review: its own candidates, not this week's.
    let later = at(11, 30);
    assert_eq!(
        unshared(&for_review(&pool, later).await.unwrap()),
        straight(&pool, later).await
    );
}
