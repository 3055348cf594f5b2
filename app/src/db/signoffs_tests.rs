use chrono::Duration;
use sqlx::SqlitePool;

use super::*;
use crate::db::experiments::{by_key, save_brief};
use crate::db::test_seed::{as_tester, at, seed, Seed};
use crate::domain::account::{Credential, Role};
use crate::domain::amendment::plan_amendment;

fn editor(name: &str) -> Identity {
    Identity {
        user_id: None,
        token_id: None,
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        role: Role::Editor,
        credential: Credential::Session,
    }
}

async fn ready(pool: &SqlitePool, key: &str) -> Experiment {
    seed(pool, Seed::new(key, Status::Ready)).await
}

async fn sign_all(pool: &SqlitePool, exp: &Experiment) {
    for role in SignOffRole::ALL {
        sign_off(
            pool,
            exp.key.as_str(),
            exp.version,
            role,
            &editor("Ana"),
            at(11, 3),
        )
        .await
        .unwrap();
    }
}

/// Makes every delete from `sign_off` fail, to show what a failure half-way through does.
async fn break_clearing(pool: &SqlitePool) {
    sqlx::query(
        "CREATE TRIGGER test_no_clear BEFORE DELETE ON sign_off BEGIN SELECT RAISE(ABORT, 'no'); END",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_sign_off_records_who_and_when_and_signing_twice_keeps_the_first(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        let first = sign_off(
            &pool,
            "checkout",
            exp.version,
            SignOffRole::Design,
            &editor("Ana"),
            at(11, 3),
        )
        .await
        .unwrap();
        let again = sign_off(
            &pool,
            "checkout",
            exp.version,
            SignOffRole::Design,
            &editor("Bo"),
            at(11, 4),
        )
        .await
        .unwrap();
        assert_eq!((first.name.as_str(), first.at), ("Ana", at(11, 3)));
        assert_eq!(again, first, "the first record stays");
        assert_eq!(list(&pool, exp.id).await.unwrap(), vec![first]);
        assert_eq!(
            by_key(&pool, "checkout").await.unwrap().version,
            exp.version,
            "signing off does not bump the version"
        );
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn signing_off_a_brief_that_changed_since_it_was_read_is_a_conflict(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        let mut edited = exp.brief.clone();
        edited.notes = "new notes".into();
        save_brief(&pool, "checkout", exp.version, &edited, at(11, 3))
            .await
            .unwrap();
        let err = sign_off(
            &pool,
            "checkout",
            exp.version,
            SignOffRole::Product,
            &editor("Ana"),
            at(11, 3),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, AppError::Conflict(m) if m.contains("changed since you opened it")),
            "{err:?}"
        );
        assert!(list(&pool, exp.id).await.unwrap().is_empty());
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_brief_save_that_changes_the_brief_clears_every_sign_off(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        sign_all(&pool, &exp).await;
        let mut edited = exp.brief.clone();
        edited.mde = Some(0.04);
        save_brief(&pool, "checkout", exp.version, &edited, at(11, 4))
            .await
            .unwrap();
        assert!(list(&pool, exp.id).await.unwrap().is_empty());
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_brief_save_that_changes_nothing_keeps_the_sign_offs(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        sign_all(&pool, &exp).await;
        let v = save_brief(&pool, "checkout", exp.version, &exp.brief, at(11, 4))
            .await
            .unwrap();
        assert_eq!(v, exp.version + 1);
        assert_eq!(list(&pool, exp.id).await.unwrap().len(), 3);
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn clearing_sign_offs_runs_in_the_brief_saves_transaction(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        sign_all(&pool, &exp).await;
        break_clearing(&pool).await;
        let mut edited = exp.brief.clone();
        edited.mde = Some(0.04);
        save_brief(&pool, "checkout", exp.version, &edited, at(11, 4))
            .await
            .unwrap_err();
        let after = by_key(&pool, "checkout").await.unwrap();
        assert_eq!(
            (after.version, after.brief.mde),
            (exp.version, exp.brief.mde),
            "the brief write rolled back with the failed clear"
        );
        assert_eq!(list(&pool, exp.id).await.unwrap().len(), 3);
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_stale_brief_save_keeps_the_sign_offs(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        sign_all(&pool, &exp).await;
        let mut edited = exp.brief.clone();
        edited.mde = Some(0.04);
        save_brief(&pool, "checkout", exp.version - 1, &edited, at(11, 4))
            .await
            .unwrap_err();
        assert_eq!(list(&pool, exp.id).await.unwrap().len(), 3);
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn withdrawing_removes_one_role_and_launched_sign_offs_stay(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        sign_all(&pool, &exp).await;
        withdraw(&pool, "checkout", SignOffRole::Engineering)
            .await
            .unwrap();
        let left: Vec<SignOffRole> = list(&pool, exp.id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.role)
            .collect();
        assert_eq!(left, [SignOffRole::Product, SignOffRole::Design]);

        let running = seed(&pool, Seed::new("running", Status::Running)).await;
        let err = sign_off(
            &pool,
            "running",
            running.version,
            SignOffRole::Product,
            &editor("Ana"),
            at(11, 3),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, AppError::Conflict(m) if m.contains("before launch")),
            "{err:?}"
        );
        let err = withdraw(&pool, "running", SignOffRole::Product)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict(_)));
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn an_amendment_replaces_the_running_brief_and_logs_both_versions(pool: SqlitePool) {
    as_tester(async move {
        let exp = seed(&pool, Seed::new("running", Status::Running)).await;
        let mut amended = exp.brief.clone();
        amended.rule.min_lift = Some(0.03);
        amended.planned_end = amended.planned_end.map(|d| d + Duration::days(7));
        let plan = plan_amendment(&exp, &amended, "finance raised the bar").unwrap();
        let v = amend(&pool, &exp, &amended, &plan, &editor("Ana"), at(11, 20))
            .await
            .unwrap();
        let after = by_key(&pool, "running").await.unwrap();
        assert_eq!((after.version, &after.brief), (v, &amended));
        let log = amendments(&pool, exp.id).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            (log[0].by.as_str(), log[0].reason.as_str(), log[0].at),
            ("Ana", "finance raised the bar", at(11, 20))
        );
        assert_eq!(
            log[0].changed,
            [BriefField::PlannedEnd, BriefField::DecisionRule]
        );
        assert_eq!((&log[0].before, &log[0].after), (&exp.brief, &amended));
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_stale_amendment_is_a_conflict_and_stores_nothing(pool: SqlitePool) {
    as_tester(async move {
        let exp = seed(&pool, Seed::new("running", Status::Running)).await;
        let mut first = exp.brief.clone();
        first.notes = "first".into();
        let plan = plan_amendment(&exp, &first, "typo").unwrap();
        amend(&pool, &exp, &first, &plan, &editor("Ana"), at(11, 20))
            .await
            .unwrap();
        let mut second = exp.brief.clone();
        second.rule.min_lift = Some(0.5);
        let plan = plan_amendment(&exp, &second, "from the old version").unwrap();
        let err = amend(&pool, &exp, &second, &plan, &editor("Bo"), at(11, 21))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Conflict(m) if m.contains("someone else changed")),
            "{err:?}"
        );
        assert_eq!(by_key(&pool, "running").await.unwrap().brief, first);
        assert_eq!(amendments(&pool, exp.id).await.unwrap().len(), 1);
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn a_done_experiments_brief_cannot_be_amended(pool: SqlitePool) {
    as_tester(async move {
        let running = seed(&pool, Seed::new("done", Status::Running)).await;
        let mut amended = running.brief.clone();
        amended.notes = "late".into();
        let plan = plan_amendment(&running, &amended, "late").unwrap();
        let done = seed(&pool, Seed::new("other", Status::Done)).await;
        // Plan against a running copy, then apply to the done one: the database refuses too.
        let err = amend(&pool, &done, &amended, &plan, &editor("Ana"), at(11, 20))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Conflict(m) if m.contains("locked")),
            "{err:?}"
        );
        assert!(amendments(&pool, done.id).await.unwrap().is_empty());
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_workspace_requires_sign_offs_until_an_admin_turns_it_off(pool: SqlitePool) {
    as_tester(async move {
        let exp = ready(&pool, "checkout").await;
        assert!(gate(&pool, exp.id).await.unwrap().required);
        save_settings(
            &pool,
            &WorkspaceSettings {
                require_sign_offs: false,
            },
            at(11, 3),
        )
        .await
        .unwrap();
        assert!(!settings(&pool).await.unwrap().require_sign_offs);
        assert!(gate(&pool, exp.id).await.unwrap().check().is_empty());
    })
    .await
}

#[sqlx::test(migrator = "crate::db::MIGRATOR")]
async fn the_demo_shows_sign_offs_on_launched_tests_and_one_amendment(pool: SqlitePool) {
    as_tester(async move {
        crate::demo::load(&pool, at(11, 22)).await.unwrap();
        let running = by_key(&pool, "one_page_checkout").await.unwrap();
        assert_eq!(list(&pool, running.id).await.unwrap().len(), 3);
        let log = amendments(&pool, running.id).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].changed, [BriefField::PlannedEnd]);
        assert_eq!(log[0].by, running.owner);
    })
    .await
}
