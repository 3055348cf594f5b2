use chrono::Utc;
use sqlx::SqlitePool;

use super::*;
use crate::db::experiments;
use crate::db::test_seed::{as_tester, at, concluded, seed, ship, Seed};
use crate::domain::audit::{AuditFilterForm, ChangeKind};
use crate::domain::experiment::{NewExperiment, NewExperimentForm};
use crate::domain::lifecycle::{Status, TransitionPlan};
use crate::domain::results::{ArmCount, Counts, Source};

fn proposal(title: &str) -> NewExperiment {
    NewExperiment::parse(&NewExperimentForm {
        title: title.into(),
        hypothesis: "draft".into(),
        owner: "Ana".into(),
        team: "Checkout".into(),
        ..Default::default()
    })
    .unwrap()
}

async fn all(pool: &SqlitePool) -> Vec<AuditEntry> {
    list(pool, &AuditQuery::default(), 1000).await.unwrap()
}

async fn count(pool: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn field<'a>(entry: &'a AuditEntry, name: &str) -> &'a crate::domain::audit::Change {
    entry
        .changes
        .iter()
        .find(|c| c.field == name)
        .unwrap_or_else(|| panic!("no change to {name} in {:?}", entry.changes))
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_proposal_is_logged_once_as_created_by_the_acting_user(pool: SqlitePool) {
    as_tester(experiments::insert(
        &pool,
        &proposal("Logged"),
        &Default::default(),
        at(11, 2),
    ))
    .await
    .unwrap();

    let log = all(&pool).await;
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = &log[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("tester", "propose")
    );
    assert_eq!(
        (entry.entity_type.as_str(), entry.entity_key.as_str()),
        ("experiment", "logged")
    );
    assert_eq!(entry.kind, ChangeKind::Created);
    assert_eq!(field(entry, "title").after.as_deref(), Some("Logged"));
    assert_eq!(field(entry, "status").after.as_deref(), Some("proposed"));
    assert!(
        (Utc::now() - entry.at).num_minutes().abs() < 5,
        "logged at the real time, not the write's business date"
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_saved_brief_logs_its_changed_fields_flattened(pool: SqlitePool) {
    let exp = as_tester(experiments::insert(
        &pool,
        &proposal("Brief edit"),
        &Default::default(),
        at(11, 2),
    ))
    .await
    .unwrap();
    let mut brief = exp.brief.clone();
    brief.notes = "why we test".into();
    brief.mde = Some(0.03);

    as_tester(experiments::save_brief(
        &pool,
        "brief_edit",
        exp.version,
        &brief,
        at(11, 3),
    ))
    .await
    .unwrap();

    let log = all(&pool).await;
    assert_eq!(log.len(), 2);
    let saved = &log[0];
    assert_eq!(saved.action, "save brief");
    assert_eq!(saved.kind, ChangeKind::Changed);
    let fields: Vec<&str> = saved.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        ["brief.mde", "brief.notes"],
        "version and updated_at are not changes"
    );
    assert_eq!(field(saved, "brief.notes").before, None);
    assert_eq!(
        field(saved, "brief.notes").after.as_deref(),
        Some("why we test")
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_move_and_a_close_and_an_archive_are_one_entry_each(pool: SqlitePool) {
    let running = seed(&pool, Seed::new("to_close", Status::Running)).await;
    let before = count(&pool).await;
    let plan = TransitionPlan::close(
        Status::Running,
        at(11, 16),
        concluded(ship(), "one page won"),
        "",
    );
    as_tester(experiments::apply_transition(
        &pool,
        &running,
        &plan,
        at(11, 16),
    ))
    .await
    .unwrap();
    as_tester(experiments::set_archived(
        &pool,
        "to_close",
        true,
        at(11, 20),
    ))
    .await
    .unwrap();

    let log = all(&pool).await;
    assert_eq!(count(&pool).await - before, 2);
    let (archive, close) = (&log[0], &log[1]);
    assert_eq!(close.action, "close");
    assert_eq!(field(close, "status").before.as_deref(), Some("running"));
    assert_eq!(field(close, "status").after.as_deref(), Some("done"));
    assert_eq!(field(close, "verdict").after.as_deref(), Some("ship"));
    assert_eq!(archive.action, "archive");
    assert_eq!(archive.changes.len(), 1, "{:?}", archive.changes);
    assert_eq!(field(archive, "archived").after.as_deref(), Some("true"));
    let moves: Vec<&str> = log[2..].iter().map(|e| e.action.as_str()).collect();
    assert_eq!(moves, ["move to running", "move to ready", "propose"]);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn an_update_that_changes_nothing_is_not_logged(pool: SqlitePool) {
    seed(&pool, Seed::new("archived_twice", Status::Done)).await;
    as_tester(experiments::set_archived(
        &pool,
        "archived_twice",
        true,
        at(11, 20),
    ))
    .await
    .unwrap();
    let before = count(&pool).await;

    // Bumps version and updated_at only.
    as_tester(experiments::set_archived(
        &pool,
        "archived_twice",
        true,
        at(11, 21),
    ))
    .await
    .unwrap();

    assert_eq!(count(&pool).await, before);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_snapshot_is_logged_under_its_experiment_with_the_source_as_action(pool: SqlitePool) {
    let exp = seed(&pool, Seed::new("with_results", Status::Running)).await;
    let counts = Counts {
        segments: Vec::new(),
        multi_arm_users: 0,
        incomplete_windows: 0,
        arms: vec![ArmCount {
            name: "control".into(),
            users: 10,
        }],
        metrics: vec![],
    };
    for source in [Source::Manual, Source::Csv, Source::Mixpanel] {
        as_tester(crate::db::results::insert(
            &pool,
            exp.id,
            source,
            &counts,
            0,
            0,
            at(11, 5),
        ))
        .await
        .unwrap();
    }

    let q = AuditQuery {
        entity: Some("with_results".into()),
        ..Default::default()
    };
    let snapshots: Vec<AuditEntry> = list(&pool, &q, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity_type == "snapshot")
        .collect();
    let actions: Vec<&str> = snapshots.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["pull results", "import results", "record results"]
    );
    assert_eq!(
        field(&snapshots[0], "counts.arms[0].users")
            .after
            .as_deref(),
        Some("10")
    );
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn reviews_and_triage_are_logged_and_a_rejection_also_logs_the_archive(pool: SqlitePool) {
    use crate::domain::period::IsoWeek;
    use crate::domain::review::record::{ReviewForm, TriageOutcome};
    let week = IsoWeek::parse("2026-W47").unwrap();
    let exp = seed(&pool, Seed::new("weak_idea", Status::Proposed)).await;
    let meeting = ReviewForm {
        attendees: "Ana, Luis".into(),
        notes: "went well".into(),
    }
    .parse()
    .unwrap();
    as_tester(crate::db::reviews::save(
        &pool,
        week,
        &meeting,
        "# agenda",
        at(11, 18),
    ))
    .await
    .unwrap();
    let before = count(&pool).await;

    as_tester(crate::db::reviews::record(
        &pool,
        week,
        &exp,
        TriageOutcome::Reject,
        "too small to measure",
        at(11, 18),
    ))
    .await
    .unwrap();

    let log = all(&pool).await;
    assert_eq!(count(&pool).await - before, 2, "{log:?}");
    let (triage, archive) = (&log[0], &log[1]);
    assert_eq!(
        (
            triage.action.as_str(),
            triage.entity_type.as_str(),
            triage.entity_key.as_str()
        ),
        ("triage", "triage", "weak_idea")
    );
    assert_eq!(field(triage, "outcome").after.as_deref(), Some("reject"));
    assert_eq!(field(triage, "week").after.as_deref(), Some("2026-W47"));
    assert_eq!(archive.entity_type, "experiment");
    assert_eq!(field(archive, "archived").after.as_deref(), Some("true"));
    let review = &log[2];
    assert_eq!(
        (review.action.as_str(), review.entity_key.as_str()),
        ("record review", "2026-W47")
    );
    assert_eq!(
        field(review, "attendees").after.as_deref(),
        Some("Ana, Luis")
    );
    assert!(review.changes.iter().all(|c| c.field != "agenda"));
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_mixpanel_secret_never_reaches_the_log(pool: SqlitePool) {
    use crate::pull::settings::{Residency, SettingsForm};
    let form = SettingsForm {
        project_id: "42".into(),
        username: "sa".into(),
        secret: "first-secret-value".into(),
        residency: Residency::Us,
        interval_hours: "6".into(),
        ..SettingsForm::default()
    };
    let first = form.parse(None).unwrap();
    as_tester(crate::db::mixpanel_source::save(&pool, &first, Utc::now()))
        .await
        .unwrap();
    let second = SettingsForm {
        secret: "second-secret-value".into(),
        ..form
    }
    .parse(None)
    .unwrap();
    as_tester(crate::db::mixpanel_source::save(&pool, &second, Utc::now()))
        .await
        .unwrap();

    let log = all(&pool).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].action, "save Mixpanel settings");
    assert_eq!(
        log[0].changes,
        [crate::domain::audit::Change {
            field: "secret".into(),
            before: Some("(hidden)".into()),
            after: Some("(hidden, changed)".into()),
        }]
    );
    let raw: String = sqlx::query_scalar(
        "SELECT group_concat(coalesce(before, '') || coalesce(after, '')) FROM audit_log",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!raw.contains("secret-value"), "{raw}");
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_refused_write_leaves_no_entry(pool: SqlitePool) {
    let exp = seed(&pool, Seed::new("raced", Status::Proposed)).await;
    as_tester(experiments::save_brief(
        &pool,
        "raced",
        exp.version,
        &exp.brief,
        at(11, 3),
    ))
    .await
    .unwrap();
    let before = count(&pool).await;
    let mut stale = exp.brief.clone();
    stale.notes = "from an old tab".into();

    let err = as_tester(experiments::save_brief(
        &pool,
        "raced",
        exp.version,
        &stale,
        at(11, 4),
    ))
    .await
    .unwrap_err();

    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(count(&pool).await, before);
    let context: Option<String> =
        sqlx::query_scalar("SELECT actor_name FROM audit_context WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(context, None, "the stamp is rolled back with the write");
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_write_without_an_actor_is_refused(pool: SqlitePool) {
    let err = experiments::insert(&pool, &proposal("Nobody"), &Default::default(), at(11, 2))
        .await
        .unwrap_err();
    assert_eq!(err, AppError::Internal);

    // Raw SQL that skips the stamp is refused by the triggers themselves.
    let raw = sqlx::query(
        "INSERT INTO experiment (key, title, owner, team, created_at, updated_at) \
         VALUES ('sneaky', 't', 'o', 'x', 'now', 'now')",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(raw.to_string().contains("audit: no actor"), "{raw}");
    assert_eq!(crate::db::experiments::count(&pool).await.unwrap(), 0);
    assert_eq!(count(&pool).await, 0);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_log_cannot_be_edited_or_deleted(pool: SqlitePool) {
    seed(&pool, Seed::new("kept", Status::Proposed)).await;
    for sql in [
        "UPDATE audit_log SET actor_name = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_list_filters_by_actor_action_entity_date_and_text_and_pages_newest_first(
    pool: SqlitePool,
) {
    seed(&pool, Seed::new("first_one", Status::Ready)).await;
    let other = crate::domain::account::Identity::system("import");
    crate::auth::acting_as(
        other,
        experiments::insert(
            &pool,
            &proposal("Second one"),
            &Default::default(),
            at(11, 3),
        ),
    )
    .await
    .unwrap();
    let query = |form: AuditFilterForm| form.parse().unwrap();
    let keys = |entries: Vec<AuditEntry>| -> Vec<(String, String)> {
        entries
            .into_iter()
            .map(|e| (e.entity_key, e.action))
            .collect()
    };
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();

    let by_actor = query(AuditFilterForm {
        actor: "system (import)".into(),
        ..Default::default()
    });
    let by_action = query(AuditFilterForm {
        action: "move to ready".into(),
        ..Default::default()
    });
    let by_entity = query(AuditFilterForm {
        entity: "first_one".into(),
        ..Default::default()
    });
    let by_text = query(AuditFilterForm {
        q: "Title of first".into(),
        ..Default::default()
    });
    let by_day = query(AuditFilterForm {
        from: today.clone(),
        to: today,
        ..Default::default()
    });
    let long_ago = query(AuditFilterForm {
        to: "2020-01-01".into(),
        ..Default::default()
    });

    let pair = |k: &str, a: &str| (k.to_owned(), a.to_owned());
    assert_eq!(
        keys(list(&pool, &by_actor, 10).await.unwrap()),
        [pair("second_one", "propose")]
    );
    assert_eq!(
        keys(list(&pool, &by_action, 10).await.unwrap()),
        [pair("first_one", "move to ready")]
    );
    assert_eq!(
        keys(list(&pool, &by_entity, 10).await.unwrap()),
        [
            pair("first_one", "move to ready"),
            pair("first_one", "propose")
        ]
    );
    assert_eq!(list(&pool, &by_text, 10).await.unwrap().len(), 2);
    assert_eq!(list(&pool, &by_day, 10).await.unwrap().len(), 3);
    assert!(list(&pool, &long_ago, 10).await.unwrap().is_empty());

    let first_page = list(&pool, &AuditQuery::default(), 2).await.unwrap();
    assert_eq!(first_page[0].entity_key, "second_one", "newest first");
    let older = AuditQuery {
        before: Some(first_page[1].id),
        ..Default::default()
    };
    assert_eq!(
        keys(list(&pool, &older, 2).await.unwrap()),
        [pair("first_one", "propose")]
    );

    let (actors, actions) = facets(&pool).await.unwrap();
    assert_eq!(actors, ["system (import)", "tester"]);
    assert_eq!(actions, ["move to ready", "propose"]);
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn accounts_and_tokens_are_logged_without_passwords_or_secrets(pool: SqlitePool) {
    use crate::db::accounts;
    use crate::domain::account::{NewAccount, Role};
    let account = NewAccount {
        email: "ana@example.com".into(),
        name: "Ana".into(),
        password: "correct horse battery".into(),
    };
    // The setup page runs before anyone is signed in: it acts as the server itself.
    accounts::create_first_admin(&pool, &account, Utc::now())
        .await
        .unwrap();
    let (token, secret) = as_tester(accounts::create_token(
        &pool,
        "nightly export",
        Role::Viewer,
        accounts::TokenOwner::CommandLine,
        Some(90),
        Utc::now(),
    ))
    .await
    .unwrap();
    as_tester(accounts::revoke_token(&pool, token.id, Utc::now()))
        .await
        .unwrap();

    let log = all(&pool).await;
    let seen: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.entity_key.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("tester", "revoke token", "nightly export"),
            ("tester", "create token", "nightly export"),
            (
                "system (first-run setup)",
                "set up first admin",
                "ana@example.com"
            ),
        ]
    );
    assert_eq!(
        field(&log[2], "password").after.as_deref(),
        Some("(hidden)")
    );
    assert!(field(&log[0], "revoked_at").after.is_some());
    let raw: String = sqlx::query_scalar(
        "SELECT group_concat(coalesce(before, '') || coalesce(after, '')) FROM audit_log",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!raw.contains("argon2") && !raw.contains(&secret), "{raw}");
}

/// Columns an audited table has that its audit triggers deliberately leave out, and why. A
/// column added by a migration must be logged or named here: the test below fails otherwise.
const NOT_LOGGED: &[(&str, &str, &str)] = &[
    ("experiment", "id", "the key identifies it"),
    (
        "experiment",
        "version",
        "bookkeeping: bumped by every write",
    ),
    (
        "experiment",
        "updated_at",
        "bookkeeping: the log has its own time",
    ),
    (
        "snapshot",
        "experiment_id",
        "logged as the experiment's key",
    ),
    ("review", "id", "the week identifies it"),
    (
        "review",
        "created_at",
        "bookkeeping: the log has its own time",
    ),
    (
        "review",
        "updated_at",
        "bookkeeping: the log has its own time",
    ),
    (
        "review",
        "agenda",
        "generated from the program when saved, not typed by anyone",
    ),
    (
        "triage",
        "id",
        "the review's week and the experiment identify it",
    ),
    ("triage", "review_id", "logged as the review's week"),
    ("triage", "experiment_id", "logged as the experiment's key"),
    ("mixpanel_source", "id", "there is one row"),
    ("mixpanel_source", "secret", "a secret: shown as (hidden)"),
    (
        "mixpanel_source",
        "updated_at",
        "bookkeeping: the log has its own time",
    ),
    ("user", "id", "the email identifies it"),
    ("user", "password_hash", "a secret: shown as (hidden)"),
    (
        "user",
        "session_epoch",
        "bookkeeping: bumped with the logged change that ends sessions",
    ),
    (
        "user",
        "must_change_password",
        "set with a reset, which logs the changed password",
    ),
    ("api_token", "secret_hash", "a secret: never copied"),
    ("sign_off", "id", "the experiment and role identify it"),
    (
        "sign_off",
        "experiment_id",
        "logged as the experiment's key",
    ),
    (
        "amendment",
        "experiment_id",
        "logged as the experiment's key",
    ),
    ("amendment", "id", "the experiment and the time identify it"),
    (
        "amendment",
        "user_id",
        "the entry's actor columns say who amended",
    ),
    (
        "amendment",
        "before_brief",
        "the experiment's own entry logs the brief change",
    ),
    (
        "amendment",
        "after_brief",
        "the experiment's own entry logs the brief change",
    ),
    ("workspace_setting", "id", "there is one row"),
    (
        "workspace_setting",
        "updated_at",
        "bookkeeping: the log has its own time",
    ),
    ("calendar_feed", "id", "the team identifies it"),
    ("warehouse_source", "id", "there is one row"),
    (
        "warehouse_source",
        "updated_at",
        "bookkeeping: the log has its own time",
    ),
    ("calendar_feed", "secret", "a secret: shown as (hidden)"),
];

/// Every column of every audited table is in its triggers (as `new.column` or `old.column`)
/// or named in `NOT_LOGGED` with a reason: a migration that adds a column cannot forget the log.
#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn every_column_of_an_audited_table_is_logged_or_excused(pool: SqlitePool) {
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT tbl_name, group_concat(sql, ' ') FROM sqlite_master \
         WHERE type = 'trigger' AND name LIKE 'audit\\_%' ESCAPE '\\' AND tbl_name != 'audit_log' \
         GROUP BY tbl_name ORDER BY tbl_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(audited.len() >= 11, "audited tables: {audited:?}");
    let mut missing = Vec::new();
    for (table, triggers) in &audited {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(table)
                .fetch_all(&pool)
                .await
                .unwrap();
        for column in columns {
            let logged =
                names_column(triggers, "new.", &column) || names_column(triggers, "old.", &column);
            let excused = NOT_LOGGED
                .iter()
                .any(|(t, c, _)| t == table && *c == column);
            if !logged && !excused {
                missing.push(format!("{table}.{column}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in the audit log: {missing:?}");
}

/// Whether `sql` reads `row.column` as a whole word (`new.at` is not `new.attendees`).
fn names_column(sql: &str, row: &str, column: &str) -> bool {
    let needle = format!("{row}{column}");
    sql.match_indices(&needle).any(|(at, _)| {
        sql[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}
