use sqlx::SqlitePool;

use super::*;
use crate::db::test_seed::{allow_raw_writes, concluded, seed, Seed};
use crate::domain::lifecycle::Status;

fn query(q: &str) -> LearningQuery {
    LearningQuery {
        q: q.into(),
        ..Default::default()
    }
}

fn keys(hits: &[Learning]) -> Vec<&str> {
    hits.iter().map(|h| h.key.as_str()).collect()
}

async fn program(pool: &SqlitePool) {
    let mut refunds = Seed::new("refund_banner", Status::Done);
    refunds.conclusion = Some(concluded(
        Verdict::DontShip,
        "Refunds rose on mobile; do not ship.",
    ));
    refunds.team = "Growth";
    seed(pool, refunds).await;
    seed(pool, Seed::new("one_page_checkout", Status::Done)).await;
    seed(pool, Seed::new("running_refunds", Status::Running)).await;
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn search_finds_a_finished_experiment_by_a_word_in_its_summary(pool: SqlitePool) {
    program(&pool).await;
    let hits = search(&pool, &query("refund")).await.unwrap();
    assert_eq!(
        keys(&hits),
        ["refund_banner"],
        "prefix match, finished ones only"
    );
    let marked: Vec<_> = hits[0]
        .snippet
        .iter()
        .filter(|s| s.hit)
        .map(|s| s.text.as_str())
        .collect();
    assert!(
        !marked.is_empty()
            && marked
                .iter()
                .all(|m| m.to_lowercase().starts_with("refund")),
        "{marked:?}"
    );
    // Porter stemming: "rising" and "rose" differ, but "refunded" stems like "refunds".
    assert_eq!(
        keys(&search(&pool, &query("refunded mobile")).await.unwrap()),
        ["refund_banner"]
    );
    assert!(
        search(&pool, &query("refund desktop"))
            .await
            .unwrap()
            .is_empty(),
        "every word must match"
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn without_words_every_finished_experiment_is_listed_and_filters_apply(pool: SqlitePool) {
    program(&pool).await;
    assert_eq!(search(&pool, &query("")).await.unwrap().len(), 2);
    let growth = LearningQuery {
        team: "Growth".into(),
        ..Default::default()
    };
    assert_eq!(
        keys(&search(&pool, &growth).await.unwrap()),
        ["refund_banner"]
    );
    let shipped = LearningQuery {
        verdict: "ship".into(),
        metric: "purchase".into(),
        ..Default::default()
    };
    assert_eq!(
        keys(&search(&pool, &shipped).await.unwrap()),
        ["one_page_checkout"]
    );
    let (facets, total) = facets(&pool).await.unwrap();
    assert_eq!(
        (facets.teams, facets.metrics, total),
        (
            vec!["Checkout".into(), "Growth".into()],
            vec!["purchase".into()],
            2
        )
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_index_follows_every_write_to_the_experiment_table(pool: SqlitePool) {
    program(&pool).await;
    // A write path that knows nothing about search: a plain UPDATE, then a DELETE.
    allow_raw_writes(&pool).await;
    sqlx::query(
        "UPDATE experiment SET title = 'Sticky basket reminder' WHERE key = 'one_page_checkout'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        keys(&search(&pool, &query("basket")).await.unwrap()),
        ["one_page_checkout"]
    );
    sqlx::query("DELETE FROM experiment WHERE key = 'one_page_checkout'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(search(&pool, &query("basket")).await.unwrap().is_empty());
    let indexed: i64 = sqlx::query_scalar("SELECT count(*) FROM learning_search")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(indexed, 2);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn words_in_a_post_mortems_lessons_are_found_too(pool: SqlitePool) {
    program(&pool).await;
    allow_raw_writes(&pool).await;
    sqlx::query("UPDATE experiment SET lessons = 'Wallet users never read banners' WHERE key = 'refund_banner'")
        .execute(&pool).await.unwrap();
    assert_eq!(
        keys(&search(&pool, &query("wallet banners")).await.unwrap()),
        ["refund_banner"]
    );
    // Hypothesis text from the brief is indexed as well.
    assert_eq!(search(&pool, &query("buyers")).await.unwrap().len(), 2);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn similar_finds_finished_tests_on_the_surface_or_sharing_a_title_word(pool: SqlitePool) {
    crate::db::test_seed::as_tester(crate::demo::load(&pool, chrono::Utc::now()))
        .await
        .unwrap();
    let done: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT key, title, surface FROM experiment WHERE status = 'done' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (key, title, surface) = done[0].clone();

    let on_surface = similar(&pool, "", &surface, 5).await.unwrap();
    assert!(!on_surface.is_empty());
    assert!(
        on_surface.iter().all(|l| l.surface == surface),
        "{on_surface:?}"
    );

    // One distinctive word of a finished test's title, typed among unrelated ones.
    let word = title
        .split(|c: char| !c.is_alphanumeric())
        .max_by_key(|w| w.len())
        .unwrap();
    let by_word = similar(&pool, &format!("zzqx {word}"), "nowhere", 5)
        .await
        .unwrap();
    assert!(by_word.iter().any(|l| l.key == key), "{word}: {by_word:?}");

    assert!(similar(&pool, "zzqx qqvw", "nowhere", 5)
        .await
        .unwrap()
        .is_empty());
    assert!(similar(&pool, "", "", 5).await.unwrap().is_empty());
    // Unfinished tests are not learnings.
    let running: Vec<String> =
        sqlx::query_scalar("SELECT surface FROM experiment WHERE status = 'running' LIMIT 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    for l in similar(&pool, "", &running[0], 5).await.unwrap() {
        assert!(done.iter().any(|(k, ..)| *k == l.key));
    }
}
