use chrono::{Duration, TimeZone, Utc};
use sqlx::SqlitePool;

use super::*;
use crate::db::test_seed::as_tester;
use crate::domain::board::BoardFilter;
use crate::domain::experiment::{NewExperiment, NewExperimentForm};
use crate::domain::lifecycle::{plan_transition, ProgramContext, Status, TransitionRequest};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

fn proposal(title: &str, team: &str) -> NewExperiment {
    NewExperiment::parse(&NewExperimentForm {
        title: title.into(),
        hypothesis: "draft".into(),
        owner: "Ana".into(),
        team: team.into(),
        surface: "checkout".into(),
        tags: "speed, q4".into(),
        ..Default::default()
    })
    .unwrap()
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn an_inserted_proposal_reads_back_with_its_first_history_entry(pool: SqlitePool) {
    let exp = as_tester(insert(
        &pool,
        &proposal("One-page checkout", "Checkout"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap();
    assert_eq!(exp.status, Status::Proposed);
    assert_eq!(exp.version, 1);
    assert_eq!(exp.tags, ["q4", "speed"]);
    let again = by_key(&pool, "one_page_checkout").await.unwrap();
    assert_eq!(again, exp);
    let h = history(&pool, exp.id).await.unwrap();
    assert_eq!((h.len(), h[0].from, h[0].to), (1, None, Status::Proposed));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_duplicate_key_is_a_conflict_not_a_crash(pool: SqlitePool) {
    as_tester(insert(
        &pool,
        &proposal("Same", "A"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap();
    let err = as_tester(insert(
        &pool,
        &proposal("Same", "B"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Conflict(m) if m.contains("already taken")));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn an_unknown_key_is_not_found(pool: SqlitePool) {
    assert!(matches!(
        by_key(&pool, "nope").await,
        Err(AppError::NotFound(_))
    ));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn saving_from_a_stale_version_is_refused_and_keeps_the_winner(pool: SqlitePool) {
    let exp = as_tester(insert(
        &pool,
        &proposal("Race", "A"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap();
    let mut first = exp.brief.clone();
    first.hypothesis.change = "first".into();
    let mut second = exp.brief.clone();
    second.hypothesis.change = "second".into();
    assert_eq!(
        as_tester(save_brief(&pool, "race", 1, &first, now()))
            .await
            .unwrap(),
        2
    );
    let err = as_tester(save_brief(&pool, "race", 1, &second, now()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("someone else saved")),
        "{err:?}"
    );
    assert_eq!(
        by_key(&pool, "race").await.unwrap().brief.hypothesis.change,
        "first"
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_full_lifecycle_writes_history_and_locks_the_brief(pool: SqlitePool) {
    let brief = crate::domain::fixtures::complete_brief();
    let mut exp = as_tester(insert(&pool, &proposal("Flow", "A"), &brief, now()))
        .await
        .unwrap();
    // Sign-offs have their own tests (db/signoffs_tests.rs); this one is about the writes.
    let ctx = crate::domain::fixtures::signed_off();
    for (to, at) in [(Status::Ready, now()), (Status::Running, now())] {
        let plan = plan_transition(&exp, &TransitionRequest::to(to), at, &ctx).unwrap();
        exp = as_tester(apply_transition(&pool, &exp, &plan, at))
            .await
            .unwrap();
    }
    assert_eq!(exp.started_at, Some(now()));
    let err = as_tester(save_brief(&pool, "flow", exp.version, &brief, now()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("locked")),
        "{err:?}"
    );

    let done_at = now() + Duration::days(20);
    let req = TransitionRequest::Close(crate::domain::lifecycle::Closing {
        verdict: Some(crate::domain::verdict::VerdictKind::Ship),
        ship_arm: Some("one_page".into()),
        summary: "won".into(),
        post_mortem: crate::domain::verdict::PostMortem {
            lessons: "one page wins".into(),
            ..Default::default()
        },
        ..Default::default()
    });
    let plan = plan_transition(&exp, &req, done_at, &ctx).unwrap();
    let done = as_tester(apply_transition(&pool, &exp, &plan, done_at))
        .await
        .unwrap();
    assert_eq!(done.status, Status::Done);
    assert_eq!(done.conclusion.unwrap().verdict.describe(), "Ship one_page");
    let h = history(&pool, done.id).await.unwrap();
    let moves: Vec<_> = h.iter().map(|c| c.to).collect();
    assert_eq!(
        moves,
        [
            Status::Proposed,
            Status::Ready,
            Status::Running,
            Status::Done
        ]
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_move_that_raced_with_another_fails_instead_of_applying_twice(pool: SqlitePool) {
    let exp = as_tester(insert(
        &pool,
        &proposal("Twice", "A"),
        &crate::domain::fixtures::complete_brief(),
        now(),
    ))
    .await
    .unwrap();
    let plan = plan_transition(
        &exp,
        &TransitionRequest::to(Status::Ready),
        now(),
        &ProgramContext::default(),
    )
    .unwrap();
    as_tester(apply_transition(&pool, &exp, &plan, now()))
        .await
        .unwrap();
    let err = as_tester(apply_transition(&pool, &exp, &plan, now()))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)));
    assert_eq!(history(&pool, exp.id).await.unwrap().len(), 2);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_board_filters_by_team_owner_tag_and_text(pool: SqlitePool) {
    as_tester(insert(
        &pool,
        &proposal("Checkout copy", "Checkout"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap();
    as_tester(insert(
        &pool,
        &proposal("Pricing grid", "Pricing"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap();
    let f = |team: &str, tag: &str, q: &str| BoardFilter {
        team: team.into(),
        tag: tag.into(),
        q: q.into(),
        ..Default::default()
    };
    assert_eq!(
        keys(list(&pool, &f("Pricing", "", "")).await.unwrap()),
        ["pricing_grid"]
    );
    assert_eq!(list(&pool, &f("", "q4", "")).await.unwrap().len(), 2);
    assert_eq!(
        keys(list(&pool, &f("", "", "COPY")).await.unwrap()),
        ["checkout_copy"]
    );
    assert!(
        list(&pool, &f("", "", "100%")).await.unwrap().is_empty(),
        "% is matched literally"
    );
    let (teams, owners, tags) = facets(&pool).await.unwrap();
    assert_eq!(
        (teams.len(), owners.len(), tags),
        (2, 1, vec!["q4".to_string(), "speed".to_string()])
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_demo_loads_a_program_in_every_state_once(pool: SqlitePool) {
    let n = as_tester(crate::demo::load(&pool, now())).await.unwrap();
    assert!(n >= 28);
    let all = list(&pool, &BoardFilter::default()).await.unwrap();
    for s in Status::ALL {
        assert!(all.iter().filter(|e| e.status == s).count() >= 4, "{s:?}");
    }
    assert!(all
        .iter()
        .filter(|e| e.status != Status::Proposed)
        .all(|e| e.brief.validate().is_empty()));
    assert!(
        all.iter().any(|e| e.is_overdue(now().date_naive())),
        "some running tests are overdue"
    );
    assert!(matches!(
        as_tester(crate::demo::load(&pool, now())).await,
        Err(AppError::Conflict(_))
    ));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn only_done_experiments_can_be_archived_and_archived_ones_leave_the_board(pool: SqlitePool) {
    as_tester(crate::demo::load(&pool, now())).await.unwrap();
    let err = as_tester(set_archived(&pool, "one_page_checkout", true, now()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only done experiments"), "{err}");
    as_tester(set_archived(&pool, "guest_checkout_default", true, now()))
        .await
        .unwrap();
    let board = list(&pool, &BoardFilter::default()).await.unwrap();
    assert!(board
        .iter()
        .all(|e| e.key.as_str() != "guest_checkout_default"));
    let archived = list(
        &pool,
        &BoardFilter {
            archived: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(archived.len(), 1);
}

/// `n` proposals, the i-th changed i minutes after `now()`: the newest is `p{n-1}`.
async fn proposals(pool: &SqlitePool, n: usize) {
    for i in 0..n {
        as_tester(insert(
            pool,
            &proposal(&format!("p{i:03}"), if i % 2 == 0 { "Even" } else { "Odd" }),
            &Brief::default(),
            now() + Duration::minutes(i as i64),
        ))
        .await
        .unwrap();
    }
}

fn titles(v: &[crate::domain::experiment::Experiment]) -> Vec<String> {
    v.iter().map(|e| e.title.clone()).collect()
}

fn keys(v: Vec<crate::domain::experiment::Experiment>) -> Vec<String> {
    v.into_iter().map(|e| e.key.to_string()).collect()
}

/// An `EXPLAIN QUERY PLAN` answer as one line of its steps.
fn plan_text(plan: Vec<(i64, i64, i64, String)>) -> String {
    plan.into_iter()
        .map(|r| r.3)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_column_pages_by_keyset_and_never_skips_or_repeats_a_card_that_moves(pool: SqlitePool) {
    use crate::domain::board::PAGE;
    proposals(&pool, 60).await;
    let all = BoardFilter::default();
    let (first, more) = column(
        &mut pool.acquire().await.unwrap(),
        &all,
        Status::Proposed,
        None,
    )
    .await
    .unwrap();
    assert_eq!(first.len(), PAGE);
    assert_eq!(first[0].title, "p059", "newest change first");
    let more = more.expect("35 more cards");
    assert_eq!(
        column_counts(&mut pool.acquire().await.unwrap(), &all)
            .await
            .unwrap(),
        [60, 0, 0, 0]
    );

    // Between two reads, a card of the first page changes (and so jumps to the top).
    let edited = by_key(&pool, "p040").await.unwrap();
    let mut brief = edited.brief.clone();
    brief.notes = "edited".into();
    as_tester(save_brief(
        &pool,
        "p040",
        edited.version,
        &brief,
        now() + Duration::hours(5),
    ))
    .await
    .unwrap();
    let (second, _) = column(
        &mut pool.acquire().await.unwrap(),
        &all,
        Status::Proposed,
        Some(&more),
    )
    .await
    .unwrap();
    let shown = titles(&second);
    assert_eq!(shown[0], "p040", "the changed card is on top");
    let mut unique = shown.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), shown.len(), "no card repeats");
    for i in 10..60 {
        assert!(
            shown.contains(&format!("p{i:03}")),
            "p{i:03} is not skipped"
        );
    }
    assert_eq!(shown.len(), 2 * PAGE);
    // The last page: everything shown, no cursor left.
    let (_, more) = column(
        &mut pool.acquire().await.unwrap(),
        &all,
        Status::Proposed,
        Some(&more),
    )
    .await
    .unwrap();
    let (rest, none) = column(
        &mut pool.acquire().await.unwrap(),
        &all,
        Status::Proposed,
        more.as_ref(),
    )
    .await
    .unwrap();
    assert_eq!(rest.len(), 60);
    assert_eq!(none, None);
    // Filters apply to pages and counts alike.
    let odd = BoardFilter {
        team: "Odd".into(),
        ..Default::default()
    };
    let (odd_cards, _) = column(
        &mut pool.acquire().await.unwrap(),
        &odd,
        Status::Proposed,
        None,
    )
    .await
    .unwrap();
    assert!(odd_cards.iter().all(|e| e.team == "Odd"));
    assert_eq!(
        column_counts(&mut pool.acquire().await.unwrap(), &odd)
            .await
            .unwrap()[0],
        30
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_board_queries_read_through_the_index_not_the_whole_table(pool: SqlitePool) {
    proposals(&pool, 30).await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    // The column query of `column`, filtered by team, as the planner sees it.
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        r"EXPLAIN QUERY PLAN SELECT id, updated_at FROM experiment
         WHERE archived = ?1 AND status = ?2
           AND (?3 IS NULL OR team = ?3)
           AND (?4 IS NULL OR owner = ?4)
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?5))
           AND (?6 IS NULL OR key LIKE ?6 ESCAPE '\' OR title LIKE ?6 ESCAPE '\'
                OR brief LIKE ?6 ESCAPE '\')
           AND (?7 IS NULL OR (updated_at, id) >= (?7, ?8))
         ORDER BY updated_at DESC, id DESC
         LIMIT ?9",
    )
    .bind(false)
    .bind("proposed")
    .bind("Odd")
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(0)
    .bind(25)
    .fetch_all(&pool)
    .await
    .unwrap();
    let text = plan_text(plan);
    assert!(text.contains("USING INDEX experiment_board"), "{text}");
    assert!(!text.contains("SCAN experiment"), "{text}");
    assert!(
        !text.contains("TEMP B-TREE"),
        "no sort of the table: {text}"
    );
}

/// One team's column counts come from the `experiment_team` index alone (no row is read), and
/// agree with counting the rows.
#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn one_teams_counts_read_only_the_team_index(pool: SqlitePool) {
    proposals(&pool, 30).await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        r"EXPLAIN QUERY PLAN SELECT status, count(*) FROM experiment
         WHERE team = ?1 AND archived = ?2 GROUP BY status",
    )
    .bind("Odd")
    .bind(false)
    .fetch_all(&pool)
    .await
    .unwrap();
    let text = plan_text(plan);
    assert!(text.contains("COVERING INDEX experiment_team"), "{text}");
    let odd = BoardFilter {
        team: "Odd".into(),
        ..Default::default()
    };
    let direct: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM experiment WHERE team = 'Odd' AND archived = 0 AND status = 'proposed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        column_counts(&mut pool.acquire().await.unwrap(), &odd)
            .await
            .unwrap(),
        [direct, 0, 0, 0]
    );
    assert_eq!(direct, 15);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_search_box_finds_text_anywhere_in_key_title_and_brief_through_the_trigram_index(
    pool: SqlitePool,
) {
    proposals(&pool, 30).await;
    as_tester(insert(
        &pool,
        &proposal("One-Page Checkout", "Growth"),
        &Brief::default(),
        now(),
    ))
    .await
    .unwrap();
    let q = |q: &str| BoardFilter {
        q: q.into(),
        ..Default::default()
    };
    // Inside a word, any case, in the key (underscore and all) and in the brief's text.
    for search in ["heckou", "PAGE_CHECK", "one-page", "Checkout"] {
        assert_eq!(
            keys(list(&pool, &q(search)).await.unwrap()),
            ["one_page_checkout"],
            "{search}"
        );
    }
    // Too short for trigrams: still a substring search.
    assert_eq!(list(&pool, &q("p0")).await.unwrap().len(), 30);
    // Quotes and wildcards are text, never query syntax.
    for odd in ["\"qqq", "100%", "p0_", "page\" OR \"p0"] {
        assert!(list(&pool, &q(odd)).await.unwrap().is_empty(), "{odd}");
    }
    // Counts and the columns follow the same search; unfiltered, every proposal counts.
    assert_eq!(
        column_counts(&mut pool.acquire().await.unwrap(), &q("heckou"))
            .await
            .unwrap()[0],
        1
    );
    assert_eq!(
        column_counts(&mut pool.acquire().await.unwrap(), &q(""))
            .await
            .unwrap(),
        [31, 0, 0, 0]
    );
    assert_eq!(
        column_counts(&mut pool.acquire().await.unwrap(), &q("p0"))
            .await
            .unwrap(),
        [30, 0, 0, 0]
    );
    let (cards, _) = column(
        &mut pool.acquire().await.unwrap(),
        &q("p01"),
        Status::Proposed,
        None,
    )
    .await
    .unwrap();
    assert_eq!(cards.len(), 10, "p010..p019");

    // The index follows edits: a renamed experiment is found by its new title only.
    crate::db::test_seed::allow_raw_writes(&pool).await;
    sqlx::query("UPDATE experiment SET title = 'Zebra crossing' WHERE key = 'one_page_checkout'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        keys(list(&pool, &q("zebra")).await.unwrap()),
        ["one_page_checkout"]
    );
    assert!(list(&pool, &q("One-Page")).await.unwrap().is_empty());

    // The search reads the index, not every row.
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        r"EXPLAIN QUERY PLAN SELECT id FROM experiment
         WHERE archived = 0 AND status = 'proposed'
           AND (?1 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?1))
         ORDER BY updated_at DESC, id DESC LIMIT 25",
    )
    .bind("\"zebra\"")
    .fetch_all(&pool)
    .await
    .unwrap();
    let text = plan_text(plan);
    assert!(text.contains("board_search VIRTUAL TABLE INDEX"), "{text}");
    assert!(!text.contains("SCAN experiment"), "{text}");
}

/// The list view's ids: most recently updated first (ties by id), read in that order from
/// `experiment_recent` with no sort, also after updates reorder them.
#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn list_ids_come_most_recent_first_from_the_index(pool: SqlitePool) {
    proposals(&pool, 60).await;
    crate::db::test_seed::allow_raw_writes(&pool).await;
    // Reorder: every third experiment updated later than all the others, two with equal times.
    sqlx::query(
        "UPDATE experiment SET updated_at = '2030-01-01T00:00:00Z' || printf('%03d', id % 7) \
         WHERE id % 3 = 0",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let direct = |team: Option<&'static str>| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM experiment WHERE archived = 0 AND (?1 IS NULL OR team = ?1)
                 ORDER BY updated_at DESC, id DESC",
            )
            .bind(team)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let all = list_ids(&pool, &BoardFilter::default()).await.unwrap();
    assert_eq!(all, direct(None).await);
    assert_eq!(all.len(), 60);
    let odd = BoardFilter {
        team: "Odd".into(),
        ..Default::default()
    };
    assert_eq!(
        list_ids(&pool, &odd).await.unwrap(),
        direct(Some("Odd")).await
    );

    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT json_group_array(id) FROM (
           SELECT id FROM experiment WHERE archived = ?1 AND (?2 IS NULL OR team = ?2)
           ORDER BY updated_at DESC, id DESC)",
    )
    .bind(false)
    .bind(None::<String>)
    .fetch_all(&pool)
    .await
    .unwrap();
    let text = plan_text(plan);
    assert!(text.contains("INDEX experiment_recent"), "{text}");
    assert!(!text.contains("TEMP B-TREE"), "no sort: {text}");
}

/// The board's one-read first pages are exactly what each column reads on its own, with the
/// same "show more" cursors, unfiltered and filtered; and each column's branch reads its
/// page from `experiment_board` in order (no scan, no sort).
#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn first_pages_read_at_once_match_each_column_read_alone(pool: SqlitePool) {
    use crate::domain::board::PAGE;
    proposals(&pool, 2 * PAGE + 7).await;
    // Some cards in other columns, one updated later than the rest.
    crate::db::test_seed::allow_raw_writes(&pool).await;
    sqlx::query("UPDATE experiment SET status = 'ready' WHERE id % 5 = 0")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE experiment SET status = 'ready', updated_at = '2031-01-01T00:00:00Z' WHERE id = 3",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Planned as a served database is (no statistics): each branch walks its column in order.
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN WITH f AS NOT MATERIALIZED (
           SELECT id, status, updated_at FROM experiment
           WHERE archived = ?1 AND (?2 IS NULL OR team = ?2))
         SELECT * FROM (SELECT * FROM f WHERE status = 'proposed'
                        ORDER BY updated_at DESC, id DESC LIMIT 50)
         UNION ALL
         SELECT * FROM (SELECT * FROM f WHERE status = 'done'
                        ORDER BY updated_at DESC, id DESC LIMIT 50)",
    )
    .bind(false)
    .bind(None::<String>)
    .fetch_all(&pool)
    .await
    .unwrap();
    let text = plan_text(plan);
    assert!(text.contains("INDEX experiment_board"), "{text}");
    assert!(!text.contains("SCAN experiment"), "{text}");
    assert!(!text.contains("TEMP B-TREE"), "{text}");
    assert!(
        !text.contains("MATERIALIZE"),
        "the filter is inlined: {text}"
    );
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let odd = BoardFilter {
        team: "Odd".into(),
        ..Default::default()
    };
    let search = BoardFilter {
        q: "p01".into(),
        ..Default::default()
    };
    for f in [BoardFilter::default(), odd, search] {
        let mut conn = pool.acquire().await.unwrap();
        let at_once = first_pages(&mut conn, &f).await.unwrap();
        assert_eq!(at_once.len(), 4);
        for (page, status) in at_once.iter().zip(Status::ALL) {
            let alone = column(&mut conn, &f, status, None).await.unwrap();
            assert_eq!(page, &alone, "{status:?} under {f:?}");
        }
    }
    let mut conn = pool.acquire().await.unwrap();
    let all = first_pages(&mut conn, &BoardFilter::default())
        .await
        .unwrap();
    assert_eq!(all[0].0.len(), PAGE, "a full first page of proposals");
    assert!(all[0].1.is_some(), "and more to show");
    let ready: Vec<i64> = all[1].0.iter().map(|e| e.id.0).collect();
    assert_eq!(ready.first(), Some(&3), "the latest change first");
    assert_eq!(ready.len(), 12);
    assert!(all[2].0.is_empty() && all[3].0.is_empty() && all[3].1.is_none());
}
