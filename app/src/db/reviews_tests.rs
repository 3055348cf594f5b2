use sqlx::SqlitePool;

use super::*;
use crate::db::test_seed::{as_tester, at, seed, Seed};
use crate::domain::review::record::ReviewForm;

fn week(w: &str) -> IsoWeek {
    IsoWeek::parse(w).unwrap()
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_review_is_saved_once_per_week_and_saving_again_updates_it(pool: SqlitePool) {
    let meeting = ReviewForm {
        attendees: "Ana, Luis".into(),
        notes: "first".into(),
    }
    .parse()
    .unwrap();
    as_tester(save(
        &pool,
        week("2026-W46"),
        &meeting,
        "## Running (0)",
        at(11, 11),
    ))
    .await
    .unwrap();
    let meeting = ReviewForm {
        attendees: "Ana".into(),
        notes: "second".into(),
    }
    .parse()
    .unwrap();
    as_tester(save(
        &pool,
        week("2026-W46"),
        &meeting,
        "## Running (1)",
        at(11, 12),
    ))
    .await
    .unwrap();
    as_tester(save(&pool, week("2026-W47"), &meeting, "", at(11, 18)))
        .await
        .unwrap();

    let r = by_week(&pool, week("2026-W46")).await.unwrap().unwrap();
    assert_eq!(
        (r.attendees, r.notes.as_str()),
        (vec!["Ana".to_string()], "second")
    );
    assert_eq!(r.agenda_markdown, "## Running (1)");
    assert_eq!((r.created_at, r.updated_at), (at(11, 11), at(11, 12)));
    let weeks: Vec<_> = list(&pool, 10)
        .await
        .unwrap()
        .iter()
        .map(|s| s.week.to_string())
        .collect();
    assert_eq!(weeks, ["2026-W47", "2026-W46"], "newest first");
    assert_eq!(
        previous_at(&pool, week("2026-W47")).await.unwrap(),
        Some(at(11, 11))
    );
    assert_eq!(previous_at(&pool, week("2026-W46")).await.unwrap(), None);
    assert!(by_week(&pool, week("2026-W01")).await.unwrap().is_none());
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn rejecting_archives_the_proposal_and_writes_the_reason_in_its_history(pool: SqlitePool) {
    let exp = seed(&pool, Seed::new("weak_idea", Status::Proposed)).await;
    as_tester(record(
        &pool,
        week("2026-W47"),
        &exp,
        TriageOutcome::Reject,
        "tested in 2024",
        at(11, 18),
    ))
    .await
    .unwrap();

    let after = crate::db::experiments::by_key(&pool, "weak_idea")
        .await
        .unwrap();
    assert!(after.archived);
    let history = crate::db::experiments::history(&pool, after.id)
        .await
        .unwrap();
    assert_eq!(
        history.last().unwrap().note,
        "rejected in the 2026-W47 review: tested in 2024"
    );
    let r = by_week(&pool, week("2026-W47")).await.unwrap().unwrap();
    assert_eq!(r.triage.len(), 1);
    assert_eq!(
        (r.triage[0].key.as_str(), r.triage[0].outcome),
        ("weak_idea", TriageOutcome::Reject)
    );

    // The same (now stale) version cannot be rejected twice.
    let err = as_tester(record(
        &pool,
        week("2026-W47"),
        &exp,
        TriageOutcome::Reject,
        "again",
        at(11, 18),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_parked_proposal_stays_parked_until_a_later_outcome(pool: SqlitePool) {
    let exp = seed(&pool, Seed::new("later_maybe", Status::Proposed)).await;
    as_tester(record(
        &pool,
        week("2026-W46"),
        &exp,
        TriageOutcome::Park,
        "",
        at(11, 11),
    ))
    .await
    .unwrap();
    assert!(parked(&pool).await.unwrap().contains("later_maybe"));
    as_tester(record(
        &pool,
        week("2026-W47"),
        &exp,
        TriageOutcome::Promote,
        "",
        at(11, 18),
    ))
    .await
    .unwrap();
    assert!(parked(&pool).await.unwrap().is_empty());
    let summaries = list(&pool, 10).await.unwrap();
    assert_eq!(
        summaries.iter().map(|s| s.triaged).collect::<Vec<_>>(),
        [1, 1]
    );
}
