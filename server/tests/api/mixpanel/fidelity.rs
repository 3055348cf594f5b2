//! Pulls against a fake that behaves like the real export API for one project (`project.rs`):
//! a truncated or broken 200 stores nothing and says how far the data reached; slow, limited
//! and refused exports are explained; a local-time project, a project secret, an Optimizely
//! flag with several rules, anonymous events and windows that reach past the data are counted
//! as Mixpanel's own documentation says they should be.

use std::sync::Arc;
use std::time::Duration;

use app::domain::results::Observed;
use axum::http::StatusCode;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::SqlitePool;

use super::failures::failed_pull;
use super::fake::{FakeMixpanel, Reply};
use super::project::{Credentials, Ending, Project};
use super::{app, app_with, arrange, export, snapshots, truth, wait_for_end, KEY};
use crate::helpers::call;

fn project() -> Project {
    Project::new(export().to_vec())
}

async fn pull(app: &Router) -> Value {
    let (s, body) = call(app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    wait_for_end(app).await
}

fn message(status: &Value) -> &str {
    status["message"].as_str().unwrap_or_default()
}

/// The day (UTC) of the latest exposure or metric event of the fixture that the pull asks for.
fn last_day_of_fixture() -> String {
    let asked = [
        "$experiment_started",
        "purchase_completed",
        "signup_completed",
    ];
    let latest = export()
        .split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice::<Value>(l).ok())
        .filter(|e| asked.contains(&e["event"].as_str().unwrap_or_default()))
        .filter(|e| {
            e["properties"]["distinct_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        })
        .filter_map(|e| e["properties"]["time"].as_i64())
        .max()
        .unwrap();
    let at = DateTime::from_timestamp(latest, 0).unwrap();
    at.format("%Y-%m-%d").to_string()
}

fn assert_matches_truth(pool_snapshot: &app::domain::results::Snapshot) {
    let truth = truth();
    for (i, arm) in ["control", "one_page"].iter().enumerate() {
        let t = &truth[arm];
        assert_eq!(
            pool_snapshot.counts.arms[i].users,
            t["exposed"].as_u64().unwrap(),
            "{arm}"
        );
        let Observed::Proportion { conversions } = pool_snapshot.counts.metrics[0].values[i] else {
            panic!("purchase is a proportion");
        };
        assert_eq!(
            conversions,
            t["converted"]["purchase_completed"].as_u64().unwrap()
        );
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_project_sends_only_the_asked_for_events_and_the_counts_match_the_truth(
    pool: SqlitePool,
) {
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(project()))]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    let status = pull(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    // Noise events (page views and the like, most of the file) never left Mixpanel.
    let lines = status["lines"].as_u64().unwrap();
    assert!(lines < 10_000, "only the asked-for events: {lines} lines");
    let stored = snapshots(&pool).await;
    assert_eq!(stored.len(), 1);
    assert_matches_truth(&stored[0]);
    assert!(message(&status).contains("anonymous events"), "{status}");
}

async fn failed(pool: &SqlitePool, project: Project) -> (Value, usize) {
    let (status, requests) =
        failed_pull(pool.clone(), vec![Reply::Project(Arc::new(project))]).await;
    assert_eq!(status["phase"], "failed", "{status}");
    (status, requests)
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_export_that_ends_in_terminated_early_fails_and_says_how_far_the_data_reached(
    pool: SqlitePool,
) {
    let (status, requests) = failed(
        &pool,
        Project {
            ending: Ending::TerminatedEarly,
            ..project()
        },
    )
    .await;
    assert_eq!(requests, 1);
    let said = message(&status);
    assert!(said.contains("terminated early"), "{said}");
    let reached = format!("the data reached {} (UTC)", last_day_of_fixture());
    assert!(said.contains(&reached), "{said} / {reached}");
    assert!(said.contains("nothing was stored"), "{said}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_connection_dropped_mid_body_fails_and_keeps_the_previous_snapshot(pool: SqlitePool) {
    let (status, _) = failed(
        &pool,
        Project {
            ending: Ending::Dropped,
            ..project()
        },
    )
    .await;
    let said = message(&status);
    assert!(said.contains("the export stopped after"), "{said}");
    assert!(said.contains("the data reached 2024-"), "{said}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_gzip_stream_cut_short_fails_and_keeps_the_previous_snapshot(pool: SqlitePool) {
    let (status, _) = failed(
        &pool,
        Project {
            ending: Ending::GzipCut,
            ..project()
        },
    )
    .await;
    assert!(
        message(&status).contains("the export stopped after"),
        "{status}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn wrong_credentials_get_mixpanels_401_and_are_not_retried(pool: SqlitePool) {
    let (status, requests) = failed(
        &pool,
        Project {
            credentials: Credentials::ServiceAccount {
                user: "sa-user".into(),
                secret: "another".into(),
            },
            ..project()
        },
    )
    .await;
    assert_eq!(requests, 1);
    assert!(
        message(&status).contains("check user and secret"),
        "{status}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn another_projects_id_gets_a_403_explained_as_missing_project_access(pool: SqlitePool) {
    let (status, requests) = failed(&pool, Project { id: 7, ..project() }).await;
    assert_eq!(requests, 1);
    let said = message(&status);
    assert!(said.contains("lacks access to project 4242"), "{said}");
    assert!(said.contains("classified data"), "{said}");
    assert!(said.contains("You do not have permission"), "{said}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_slow_first_byte_is_waited_for_and_a_silent_export_times_out_without_a_retry(
    pool: SqlitePool,
) {
    // Within patience: the pull waits and succeeds.
    let patient = app::pull::Patience {
        first_byte: Duration::from_secs(5),
        idle: Duration::from_secs(5),
    };
    let slow = Project {
        first_byte_delay: Duration::from_millis(1500),
        ..project()
    };
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(slow.clone()))]).await;
    let app = app_with(pool.clone(), &mixpanel.base, patient);
    arrange(&app, &pool).await;
    assert_eq!(pull(&app).await["phase"], "succeeded");

    // Past patience: reported once, not retried (each try costs an hourly query).
    let impatient = app::pull::Patience {
        first_byte: Duration::from_millis(500),
        idle: Duration::from_millis(500),
    };
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(slow))]).await;
    let app = app_with(pool.clone(), &mixpanel.base, impatient);
    let status = pull(&app).await;
    assert_eq!(status["phase"], "failed", "{status}");
    assert!(message(&status).contains("sent nothing"), "{status}");
    assert!(message(&status).contains("not retried"), "{status}");
    assert_eq!(mixpanel.requests().len(), 1);
    assert_eq!(
        snapshots(&pool).await.len(),
        1,
        "the first pull's snapshot stays"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_429_shows_which_limit_was_hit_with_or_without_retry_after(pool: SqlitePool) {
    let limited = |retry_after: bool| Reply::Status {
        code: 429,
        headers: if retry_after {
            vec![("Retry-After", "1".into())]
        } else {
            Vec::new()
        },
        body: r#"{"request": "/api/2.0/export", "error": "61/60 queries in the last hour"}"#.into(),
    };
    let mixpanel = FakeMixpanel::start(vec![limited(true), limited(false)]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    let status = pull(&app).await;
    assert_eq!(status["phase"], "failed", "{status}");
    assert!(message(&status).contains("HTTP 429"), "{status}");
    assert!(
        message(&status).contains("61/60 queries in the last hour"),
        "{status}"
    );
    assert_eq!(mixpanel.requests().len(), 4);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_400_about_dates_is_explained_with_the_dates_and_zone_sent(pool: SqlitePool) {
    let said = r#"{"request": "/api/2.0/export", "error": "to_date cannot be later than today"}"#;
    let mixpanel = FakeMixpanel::start(vec![Reply::status(400, said)]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    let status = pull(&app).await;
    let said = message(&status);
    assert!(
        said.contains("to_date cannot be later than today"),
        "{said}"
    );
    assert!(said.contains("the project's dates in UTC"), "{said}");
    assert!(said.contains("time zone"), "{said}");
}

async fn save_settings(app: &Router, form: Value) {
    let (s, body) = call(app, "save_mixpanel_settings", json!({ "form": form })).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_local_time_project_is_asked_for_its_own_days_and_counted_in_utc(pool: SqlitePool) {
    let la: chrono_tz::Tz = "America/Los_Angeles".parse().unwrap();
    let local = Project {
        local_zone: Some(la),
        ..project()
    };
    let today = local.today();
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(local))]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    save_settings(&app, json!({"project_id": "4242", "username": "sa-user", "secret": "", "residency": "us", "interval_hours": "", "timezone": "America/Los_Angeles", "local_time": true})).await;
    let status = pull(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    let target = &mixpanel.requests()[0].target;
    // Launched 2024-05-01 00:00 UTC, which is April 30 in Los Angeles; never past LA's today.
    assert!(target.contains("from_date=2024-04-30"), "{target}");
    assert!(target.contains(&format!("to_date={today}")), "{target}");
    // Local times converted back to UTC give exactly the generator's (UTC) truth.
    assert_matches_truth(&snapshots(&pool).await[0]);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_project_secret_is_sent_as_the_basic_auth_user_with_an_empty_password(pool: SqlitePool) {
    let legacy = Project {
        credentials: Credentials::ProjectSecret("proj-secret".into()),
        ..project()
    };
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(legacy))]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    save_settings(&app, json!({"project_id": "4242", "auth": "project_secret", "username": "", "secret": "proj-secret", "residency": "us", "interval_hours": ""})).await;
    let status = pull(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    // base64("proj-secret:")
    assert_eq!(
        mixpanel.requests()[0].header("authorization"),
        Some("Basic cHJvai1zZWNyZXQ6")
    );
}

async fn set_run(pool: &SqlitePool, started: &str, ended: Option<&str>, status: &str) {
    crate::helpers::allow_raw_writes(pool).await;
    let verdict = (status == "done").then_some("inconclusive");
    sqlx::query(
        "UPDATE experiment SET status = ?, started_at = ?, ended_at = ?, verdict = ? WHERE key = ?",
    )
    .bind(status)
    .bind(started)
    .bind(ended)
    .bind(verdict)
    .bind(KEY)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_finished_run_is_pulled_to_its_last_day_plus_the_window(pool: SqlitePool) {
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(project()))]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    set_run(
        &pool,
        "2024-05-01T00:00:00Z",
        Some("2024-05-20T18:00:00Z"),
        "done",
    )
    .await;
    let status = pull(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    let target = &mixpanel.requests()[0].target;
    // Exposures up to May 20; conversions up to 14 days after the last of them.
    assert!(
        target.contains("from_date=2024-05-01&to_date=2024-06-03"),
        "{target}"
    );
    let snap = &snapshots(&pool).await[0];
    assert_eq!(snap.counts.incomplete_windows, 0);
}

/// An export of `users` exposures an hour ago (alternating arms) and one purchase each.
fn fresh_export(users: usize) -> Vec<u8> {
    let now = Utc::now().timestamp();
    let mut body = String::new();
    for u in 0..users {
        let arm = if u % 2 == 0 { "control" } else { "one_page" };
        body.push_str(&format!(
            "{{\"event\":\"$experiment_started\",\"properties\":{{\"time\":{},\"distinct_id\":\"u{u}\",\"$insert_id\":\"e{u}\",\"Experiment name\":\"{KEY}\",\"Variant name\":\"{arm}\"}}}}\n",
            now - 3600
        ));
        body.push_str(&format!(
            "{{\"event\":\"purchase_completed\",\"properties\":{{\"time\":{},\"distinct_id\":\"u{u}\",\"$insert_id\":\"p{u}\",\"amount\":10}}}}\n",
            now - 1800
        ));
    }
    // Two anonymous events: valid, never counted, reported.
    for n in 0..2 {
        body.push_str(&format!(
            "{{\"event\":\"purchase_completed\",\"properties\":{{\"time\":{},\"distinct_id\":\"\",\"$insert_id\":\"a{n}\",\"amount\":99}}}}\n",
            now - 60
        ));
    }
    body.into_bytes()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn users_exposed_within_the_window_are_reported_as_incomplete_and_hold_a_fixed_decision(
    pool: SqlitePool,
) {
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(Project::new(fresh_export(
        40,
    ))))])
    .await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    let yesterday =
        (Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    set_run(&pool, &yesterday, None, "running").await;
    let status = pull(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    let said = message(&status);
    assert!(said.contains("2 anonymous events"), "{said}");
    assert!(
        said.contains("40 users were exposed too recently"),
        "{said}"
    );
    let snap = &snapshots(&pool).await[0];
    assert_eq!(snap.counts.incomplete_windows, 40);
    assert_eq!(snap.counts.arms[0].users + snap.counts.arms[1].users, 40);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_optimizely_rule_counts_only_its_own_users_and_names_the_other_rules(pool: SqlitePool) {
    let viewed = |user: &str, rule: &str, variation: &str| {
        format!(
            "{{\"event\":\"Experiment Viewed\",\"properties\":{{\"time\":1714600000,\"distinct_id\":\"{user}\",\"$insert_id\":\"v{user}\",\"flag_key\":\"checkout_flag\",\"rule_key\":\"{rule}\",\"variation_key\":\"{variation}\",\"enabled\":true}}}}\n"
        )
    };
    let mut body = String::new();
    body.push_str(&viewed("a", KEY, "control"));
    body.push_str(&viewed("b", KEY, "one_page"));
    body.push_str(&viewed("c", KEY, "one_page"));
    body.push_str(&viewed("d", "", "off")); // the everyone-else delivery rule
    body.push_str(&viewed("e", "", "off"));
    body.push_str(&viewed("f", "checkout_copy_test", "one_page"));
    body.push_str("{\"event\":\"purchase_completed\",\"properties\":{\"time\":1714600100,\"distinct_id\":\"b\",\"$insert_id\":\"p1\",\"amount\":5}}\n");
    body.push_str("{\"event\":\"purchase_completed\",\"properties\":{\"time\":1714600100,\"distinct_id\":\"d\",\"$insert_id\":\"p2\",\"amount\":5}}\n");
    let mixpanel = FakeMixpanel::start(vec![Reply::Project(Arc::new(Project::new(
        body.into_bytes(),
    )))])
    .await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    crate::helpers::allow_raw_writes(&pool).await;
    sqlx::query(
        "UPDATE experiment SET brief = json_set(brief, '$.exposure', json(?)) WHERE key = ?",
    )
    .bind(r#"{"kind": "optimizely", "flag_key": "checkout_flag"}"#)
    .bind(KEY)
    .execute(&pool)
    .await
    .unwrap();
    let status = pull(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    let target = &mixpanel.requests()[0].target;
    assert!(
        target.contains("Experiment+Viewed") || target.contains("Experiment%20Viewed"),
        "{target}"
    );
    let snap = &snapshots(&pool).await[0];
    let users: Vec<u64> = snap.counts.arms.iter().map(|a| a.users).collect();
    assert_eq!(
        users,
        [1, 2],
        "a / b, c; the rollout and the other test left out"
    );
    let Observed::Proportion { conversions } = snap.counts.metrics[0].values[1] else {
        panic!("purchase is a proportion");
    };
    assert_eq!(conversions, 1);
    let said = message(&status);
    assert!(said.contains("checkout_flag: 2"), "{said}");
    assert!(said.contains("checkout_copy_test: 1"), "{said}");
}
