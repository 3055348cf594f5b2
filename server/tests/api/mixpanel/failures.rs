//! Every way a pull can end without a new snapshot: the previous one stays the latest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::results::{ArmCount, Counts, MetricCounts, Observed, Source};
use axum::http::StatusCode;
use axum::Router;
use serde_json::json;
use sqlx::SqlitePool;

use super::fake::{FakeMixpanel, Reply};
use super::{app, arrange, export, pull_status, snapshots, wait_for_end, KEY};
use crate::helpers::call;
use app::pull::{PullRegistry, RetryPolicy};
use app::state::AppState;
use leptos::config::LeptosOptions;

/// A hand-typed reading stored before the pull, which a failed pull must leave in place.
async fn previous_snapshot(pool: &SqlitePool) -> i64 {
    let exp = app::db::experiments::by_key(pool, KEY).await.unwrap();
    let arms = vec![
        ArmCount {
            name: "control".into(),
            users: 100,
        },
        ArmCount {
            name: "one_page".into(),
            users: 100,
        },
    ];
    let share = |c| {
        vec![
            Observed::Proportion { conversions: c },
            Observed::Proportion { conversions: c },
        ]
    };
    let mean = vec![
        Observed::Mean {
            n: 100,
            sum: 1.0,
            sum_squares: 1.0
        };
        2
    ];
    let counts = Counts {
        segments: Vec::new(),
        arms,
        metrics: vec![
            MetricCounts {
                covariates: Vec::new(),
                metric: "purchase".into(),
                values: share(10),
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "revenue".into(),
                values: mean,
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "signup".into(),
                values: share(5),
            },
        ],
        multi_arm_users: 0,
        incomplete_windows: 0,
    };
    let who = app::domain::account::Identity::system("test setup");
    app::auth::acting_as(
        who,
        app::db::results::insert(
            pool,
            exp.id,
            Source::Manual,
            &counts,
            0,
            0,
            chrono::Utc::now(),
        ),
    )
    .await
    .unwrap()
}

/// Runs one pull against `script` over a previous snapshot, checks that the previous snapshot is
/// still the only one, and returns the pull's final status and how many requests it made.
/// Runs one pull against `script` that must fail and store nothing; its status and how many
/// requests the fake saw.
pub(super) async fn failed_pull(
    pool: SqlitePool,
    script: Vec<Reply>,
) -> (serde_json::Value, usize) {
    let mixpanel = FakeMixpanel::start(script).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    let previous = previous_snapshot(&pool).await;
    let (s, body) = call(&app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let status = wait_for_end(&app).await;
    let kept: Vec<i64> = snapshots(&pool).await.iter().map(|s| s.id).collect();
    assert_eq!(
        kept,
        [previous],
        "nothing stored, the previous snapshot stays"
    );
    (status, mixpanel.requests().len())
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_429_is_retried_after_its_retry_after_and_then_succeeds(pool: SqlitePool) {
    let limited = Reply::Status {
        code: 429,
        headers: vec![("Retry-After", "1".into())],
        body: r#"{"error": "rate limit exceeded"}"#.into(),
    };
    let mixpanel = FakeMixpanel::start(vec![limited, Reply::export(export())]).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    let started = Instant::now();
    call(&app, "start_pull", json!({"key": KEY})).await;
    let status = wait_for_end(&app).await;
    assert_eq!(status["phase"], "succeeded", "{status}");
    assert_eq!(mixpanel.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(snapshots(&pool).await.len(), 1);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn server_errors_are_retried_with_backoff_until_one_succeeds(pool: SqlitePool) {
    let script = vec![
        Reply::status(503, ""),
        Reply::status(502, ""),
        Reply::export(export()),
    ];
    let mixpanel = FakeMixpanel::start(script).await;
    let app = app(pool.clone(), &mixpanel.base);
    arrange(&app, &pool).await;
    call(&app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(wait_for_end(&app).await["phase"], "succeeded");
    assert_eq!(mixpanel.requests().len(), 3);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn endless_rate_limiting_gives_up_after_four_attempts_and_keeps_the_previous_snapshot(
    pool: SqlitePool,
) {
    let (status, requests) = failed_pull(pool, vec![Reply::status(429, "")]).await;
    assert_eq!(status["phase"], "failed");
    assert_eq!(requests, 4);
    assert!(
        status["message"].as_str().unwrap().contains("HTTP 429"),
        "{status}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_401_names_the_service_account_without_retrying(pool: SqlitePool) {
    let (status, requests) = failed_pull(pool, vec![Reply::status(401, "")]).await;
    assert_eq!((status["phase"].as_str(), requests), (Some("failed"), 1));
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains("Mixpanel refused the service account: check user and secret"),
        "{message}"
    );
    assert!(!message.contains("sa-secret"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_400_shows_mixpanels_own_message(pool: SqlitePool) {
    let said = r#"{"request": "/api/2.0/export", "error": "to_date cannot be later than today"}"#;
    let (status, requests) = failed_pull(pool, vec![Reply::status(400, said)]).await;
    assert_eq!(requests, 1);
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains(
            "Mixpanel rejected the request (HTTP 400): to_date cannot be later than today"
        ),
        "{message}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn more_than_one_percent_broken_lines_refuse_the_pull_naming_count_and_lines(
    pool: SqlitePool,
) {
    // 2,000 lines of the fixture, every 50th cut in half: 40 broken lines, plus line 448, which
    // the generator wrote without a distinct_id on purpose: 41, 2.05%.
    let full = export();
    let mut body = Vec::new();
    for (i, line) in full.split(|b| *b == b'\n').take(2000).enumerate() {
        let keep = if (i + 1) % 50 == 0 {
            line.len() / 2
        } else {
            line.len()
        };
        body.extend_from_slice(&line[..keep]);
        body.push(b'\n');
    }
    let (status, _) = failed_pull(pool, vec![Reply::export(Arc::new(body))]).await;
    assert_eq!(status["phase"], "failed");
    let message = status["message"].as_str().unwrap();
    assert!(message.contains("41 of 2000 lines (2.05%)"), "{message}");
    assert!(
        message.contains("50 (not valid JSON), 100 (not valid JSON)"),
        "{message}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_unreachable_host_fails_after_the_retries(pool: SqlitePool) {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = app(pool.clone(), &base);
    arrange(&app, &pool).await;
    call(&app, "start_pull", json!({"key": KEY})).await;
    let status = wait_for_end(&app).await;
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("could not reach Mixpanel"),
        "{status}"
    );
    assert!(snapshots(&pool).await.is_empty());
}

/// Starts a pull of a slow export and waits until its first bytes were read.
async fn slow_pull_under_way(pool: &SqlitePool) -> (Router, FakeMixpanel) {
    let mixpanel = FakeMixpanel::start(vec![Reply::slow_export(export())]).await;
    let app = app(pool.clone(), &mixpanel.base);
    let app = &app;
    arrange(app, pool).await;
    let (s, body) = call(app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for _ in 0..500 {
        if pull_status(app).await["bytes"].as_u64() > Some(0) {
            return (app.clone(), mixpanel);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no bytes read within 5 s");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_second_pull_while_one_runs_is_refused(pool: SqlitePool) {
    let (app, _mixpanel) = slow_pull_under_way(&pool).await;
    let (s, body) = call(&app, "start_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("already running"), "{body}");
    call(&app, "cancel_pull", json!({"key": KEY})).await;
    wait_for_end(&app).await;
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn cancel_stops_the_pull_and_stores_nothing(pool: SqlitePool) {
    let (app, _mixpanel) = slow_pull_under_way(&pool).await;
    let (s, body) = call(&app, "cancel_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let status = wait_for_end(&app).await;
    assert_eq!(status["phase"], "cancelled", "{status}");
    assert!(snapshots(&pool).await.is_empty());
    let (s, _) = call(&app, "cancel_pull", json!({"key": KEY})).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing left to cancel");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_403_says_the_service_account_lacks_access_to_the_project(pool: SqlitePool) {
    let said = r#"{"error": "You do not have permission to view this project"}"#;
    let (status, requests) = failed_pull(pool, vec![Reply::status(403, said)]).await;
    assert_eq!(requests, 1, "not retried");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains("may not read this project (HTTP 403)"),
        "{message}"
    );
    assert!(message.contains("project 4242"), "{message}");
    assert!(!message.contains("check user and secret"), "{message}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_redirect_is_never_followed_with_the_secret(pool: SqlitePool) {
    let elsewhere = FakeMixpanel::start(vec![Reply::export(export())]).await;
    let redirect = Reply::Status {
        code: 302,
        headers: vec![("Location", format!("{}/api/2.0/export", elsewhere.base))],
        body: String::new(),
    };
    let (status, requests) = failed_pull(pool, vec![redirect]).await;
    assert_eq!(requests, 1);
    assert!(
        status["message"].as_str().unwrap().contains("HTTP 302"),
        "{status}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the other host never saw the secret"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn without_the_deployments_permission_no_request_goes_to_a_local_address(pool: SqlitePool) {
    let mixpanel = FakeMixpanel::start(vec![Reply::export(export())]).await;
    let https = mixpanel.base.replace("http://", "https://");
    let router = server::router_with(AppState {
        leptos_options: LeptosOptions::builder().output_name("verdict").build(),
        pool: pool.clone(),
        pulls: PullRegistry::new(RetryPolicy {
            attempts: 1,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        })
        .with_egress(app::pull::egress::Egress::new(Some(&https), false).unwrap()),
    });
    let app = crate::helpers::signed_in_as_admin(router, pool.clone());
    arrange(&app, &pool).await;
    call(&app, "start_pull", json!({"key": KEY})).await;
    let status = wait_for_end(&app).await;
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{status}"
    );
    assert!(mixpanel.requests().is_empty());
}
