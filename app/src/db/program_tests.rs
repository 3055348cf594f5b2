use sqlx::SqlitePool;

use super::*;
use crate::db::test_seed::{allow_raw_writes, as_tester, at, seed, Seed};
use crate::domain::lifecycle::Status;
use crate::domain::program::report::report;
use crate::domain::program::{Entry, ProgramFilter, SrmCheck};
use crate::domain::results::{ArmCount, Source};

fn counts(control: u64, treatment: u64) -> Counts {
    Counts {
        segments: Vec::new(),
        arms: vec![
            ArmCount {
                name: "control".into(),
                users: control,
            },
            ArmCount {
                name: "one_page".into(),
                users: treatment,
            },
        ],
        metrics: vec![],
        multi_arm_users: 0,
        incomplete_windows: 0,
    }
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn everything_includes_archived_experiments_each_with_its_latest_counts(pool: SqlitePool) {
    // Arrange: a running test with two readings (the later one has an SRM), a done one that
    // was archived, and a proposal without results.
    let running = seed(&pool, Seed::new("running_one", Status::Running)).await;
    seed(&pool, Seed::new("done_archived", Status::Done)).await;
    seed(&pool, Seed::new("just_an_idea", Status::Proposed)).await;
    as_tester(crate::db::experiments::set_archived(
        &pool,
        "done_archived",
        true,
        at(11, 20),
    ))
    .await
    .unwrap();
    as_tester(crate::db::results::insert(
        &pool,
        running.id,
        Source::Manual,
        &counts(10_000, 9_000),
        0,
        0,
        at(11, 10),
    ))
    .await
    .unwrap();
    as_tester(crate::db::results::insert(
        &pool,
        running.id,
        Source::Manual,
        &counts(5_000, 5_010),
        0,
        0,
        at(11, 5),
    ))
    .await
    .unwrap();

    // Act
    let all = everything(&pool).await.unwrap();

    // Assert: the later reading (taken 10 November) is the latest, whatever the insert order.
    let mut keys: Vec<_> = all.iter().map(|(e, _)| e.key.to_string()).collect();
    keys.sort();
    assert_eq!(keys, ["done_archived", "just_an_idea", "running_one"]);
    let (exp, latest) = all
        .iter()
        .find(|(e, _)| e.key.as_str() == "running_one")
        .unwrap();
    assert_eq!(latest.as_ref().unwrap().arms[1].users, 9_000);
    assert_eq!(Entry::new(exp, latest.as_ref()).srm, SrmCheck::Failed);
    assert!(all
        .iter()
        .filter(|(e, _)| e.key.as_str() != "running_one")
        .all(|(_, c)| c.is_none()));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn everything_matches_the_board_query_field_for_field(pool: SqlitePool) {
    // Every shape a row can take: each status, an archived one, a conclusion with an override,
    // a rule verdict and a post-mortem, a stop reason, and a proposal that follows another.
    let mut overridden = Seed::new("overridden", Status::Done);
    overridden.conclusion = Some(crate::domain::verdict::Conclusion {
        computed: Some(crate::db::test_seed::ship()),
        override_reason: Some("brand risk".into()),
        stopped_early: Some("clear loser".into()),
        post_mortem: crate::domain::verdict::PostMortem {
            lessons: "l".into(),
            segment_notes: "s".into(),
            next_idea: "n".into(),
        },
        ..crate::db::test_seed::concluded(crate::domain::verdict::Verdict::DontShip, "sum")
    });
    seed(&pool, overridden).await;
    seed(&pool, Seed::new("shipped", Status::Done)).await;
    seed(&pool, Seed::new("running", Status::Running)).await;
    seed(&pool, Seed::new("ready_one", Status::Ready)).await;
    seed(&pool, Seed::new("proposal", Status::Proposed)).await;
    allow_raw_writes(&pool).await;
    sqlx::query("UPDATE experiment SET follows = 'shipped' WHERE key = 'proposal'")
        .execute(&pool)
        .await
        .unwrap();
    as_tester(crate::db::experiments::set_archived(
        &pool,
        "shipped",
        true,
        at(11, 20),
    ))
    .await
    .unwrap();

    let all = everything(&pool).await.unwrap();
    assert_eq!(all.len(), 5);
    for (exp, _) in &all {
        let board = crate::db::experiments::by_key(&pool, exp.key.as_str())
            .await
            .unwrap();
        assert_eq!(*exp, board, "{}", exp.key);
    }
    let review = for_review(&pool, at(11, 1)).await.unwrap();
    let mut keys: Vec<_> = review.iter().map(|(e, _)| e.key.to_string()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["overridden", "proposal", "running", "shipped"],
        "no ready ones"
    );
    assert!(
        for_review(&pool, at(11, 30)).await.unwrap().len() == 2,
        "nothing ended after"
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_report_counts_what_the_database_holds(pool: SqlitePool) {
    seed(&pool, Seed::new("won", Status::Done)).await;
    let mut lost = Seed::new("lost", Status::Done);
    lost.conclusion = Some(crate::db::test_seed::concluded(
        crate::domain::verdict::Verdict::DontShip,
        "no lift",
    ));
    seed(&pool, lost).await;
    seed(&pool, Seed::new("still_running", Status::Running)).await;
    let entries: Vec<Entry> = everything(&pool)
        .await
        .unwrap()
        .iter()
        .map(|(e, c)| Entry::new(e, c.as_ref()))
        .collect();
    let r = report(&entries, &ProgramFilter::default(), at(11, 20).date_naive());
    assert_eq!(
        (r.win.shipped.key_names(), r.win.concluded.n),
        (vec!["won"], 2)
    );
    assert_eq!(r.velocity.running.key_names(), ["still_running"]);
    assert_eq!(r.launched.n, 3);
    assert_eq!(r.brief_complete.n, 3, "the fixture brief is complete");
}
