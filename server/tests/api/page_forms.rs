//! The experiment page's lifecycle buttons posted as plain forms (no script): each move runs
//! the same gate as the server function, lands or comes back with its reasons on the page,
//! and a viewer's post changes nothing.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use sqlx::SqlitePool;

use app::domain::account::Role;
use app::domain::lifecycle::Status;

use crate::helpers::{allow_raw_writes, app, call, get, send_as, token};

/// A form post as a browser without the script sends it: urlencoded, from the same site.
fn form_post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Posts through the router and returns the status and where it sends the browser.
async fn post(app: &axum::Router, path: &str, body: &str) -> (StatusCode, String) {
    use tower::ServiceExt;
    let response = app.clone().oneshot(form_post(path, body)).await.unwrap();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

async fn status_of(pool: &SqlitePool, key: &str) -> Status {
    app::db::experiments::by_key(pool, key)
        .await
        .unwrap()
        .status
}

/// An arrangement written as raw SQL (a stage the test starts from).
async fn raw(pool: &SqlitePool, sql: &str) {
    allow_raw_writes(pool).await;
    sqlx::query(sql).execute(pool).await.unwrap();
}

async fn proposal(app: &axum::Router, title: &str) {
    let (status, body) = call(app, "create_experiment", json!({"form": {"key": "", "title": title, "hypothesis": "draft", "owner": "Ana", "team": "Checkout", "surface": "checkout", "tags": ""}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_refused_move_comes_back_to_the_page_with_every_reason_and_changes_nothing(
    pool: SqlitePool,
) {
    let app = app(pool.clone());
    proposal(&app, "Plain post").await;

    let (status, location) = post(&app, "/experiments/plain_post/move", "to=ready").await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with("/experiments/plain_post?move_error="),
        "{location}"
    );
    assert_eq!(status_of(&pool, "plain_post").await, Status::Proposed);
    // The page it comes back to lists the gate's reasons where the buttons are.
    let (status, page) = get(&app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Not moved:"), "no refusal on the page");
    assert!(
        page.contains("minimum detectable effect is required"),
        "the gate's reason is not on the page"
    );
    assert!(page.contains("planned end date is required"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_allowed_move_lands_and_comes_back_to_the_page(pool: SqlitePool) {
    let app = app(pool.clone());
    proposal(&app, "Back to drafting").await;
    raw(
        &pool,
        "UPDATE experiment SET status = 'ready' WHERE key = 'back_to_drafting'",
    )
    .await;

    let (status, location) = post(&app, "/experiments/back_to_drafting/move", "to=proposed").await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/experiments/back_to_drafting");
    assert_eq!(status_of(&pool, "back_to_drafting").await, Status::Proposed);
    // The page it lands on offers the next move as a form that works without the script.
    let (_, page) = get(&app, &location).await;
    assert!(
        page.contains(r#"action="/experiments/back_to_drafting/move""#),
        "no move form on the page"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn closing_or_an_unknown_stage_is_not_a_buttons_move(pool: SqlitePool) {
    let app = app(pool.clone());
    proposal(&app, "Skip ahead").await;

    for body in ["to=done", "to=shipped", "to="] {
        let (status, location) = post(&app, "/experiments/skip_ahead/move", body).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        assert!(location.contains("move_error="), "{body}: {location}");
        assert!(location.contains("not%20a%20stage"), "{body}: {location}");
    }
    // A form without its field is the framework's 4xx, not a move.
    let (status, _) = post(&app, "/experiments/skip_ahead/move", "").await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(status_of(&pool, "skip_ahead").await, Status::Proposed);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_viewer_posting_the_forms_changes_nothing(pool: SqlitePool) {
    let app = app(pool.clone());
    proposal(&app, "Viewer tries").await;
    raw(
        &pool,
        "UPDATE experiment SET status = 'ready' WHERE key = 'viewer_tries'",
    )
    .await;
    let viewer = token(&pool, Role::Viewer).await;

    for (path, body) in [
        ("/experiments/viewer_tries/move", "to=proposed"),
        ("/experiments/viewer_tries/archive", "archived=true"),
        ("/experiments/viewer_tries/follow-up", ""),
        (
            "/experiments/viewer_tries/sign-off",
            "role=product&version=1",
        ),
    ] {
        let (status, _) = send_as(&app, Some(&viewer), form_post(path, body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let exp = app::db::experiments::by_key(&pool, "viewer_tries")
        .await
        .unwrap();
    assert_eq!((exp.status, exp.archived), (Status::Ready, false));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_done_experiment_is_archived_and_restored_by_form(pool: SqlitePool) {
    let app = app(pool.clone());
    proposal(&app, "Finished").await;
    raw(&pool, "UPDATE experiment SET status = 'done', verdict = 'inconclusive', \
         started_at = '2026-01-01T00:00:00Z', ended_at = '2026-01-15T00:00:00Z' WHERE key = 'finished'",).await;

    let (status, location) = post(&app, "/experiments/finished/archive", "archived=true").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/experiments/finished")
    );
    let archived = |pool: SqlitePool| async move {
        app::db::experiments::by_key(&pool, "finished")
            .await
            .unwrap()
            .archived
    };
    assert!(archived(pool.clone()).await);

    post(&app, "/experiments/finished/archive", "archived=false").await;
    assert!(!archived(pool.clone()).await);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn propose_it_opens_the_next_idea_as_a_proposal_and_an_idea_less_one_says_so(
    pool: SqlitePool,
) {
    let app = app(pool.clone());
    proposal(&app, "Coupon first").await;
    proposal(&app, "No idea left").await;
    raw(
        &pool,
        "UPDATE experiment SET status = 'done', verdict = 'inconclusive', \
         started_at = '2026-01-01T00:00:00Z', ended_at = '2026-01-15T00:00:00Z', \
         next_idea = CASE key WHEN 'coupon_first' THEN 'Remove the coupon field' ELSE NULL END \
         WHERE key IN ('coupon_first', 'no_idea_left')",
    )
    .await;

    let (status, location) = post(&app, "/experiments/coupon_first/follow-up", "").await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/experiments/remove_the_coupon_field");
    let created = app::db::experiments::by_key(&pool, "remove_the_coupon_field")
        .await
        .unwrap();
    assert_eq!(created.status, Status::Proposed);
    assert_eq!(created.follows.as_deref(), Some("coupon_first"));
    // Twice: the second proposal gets a key of its own instead of overwriting the first.
    let (_, again) = post(&app, "/experiments/coupon_first/follow-up", "").await;
    assert_eq!(again, "/experiments/remove_the_coupon_field_2");

    let (status, location) = post(&app, "/experiments/no_idea_left/follow-up", "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with("/experiments/no_idea_left?follow_up_error="),
        "{location}"
    );
    let (_, page) = get(&app, &location).await;
    assert!(page.contains("Not proposed:"), "no refusal on the page");
    assert!(
        page.contains("no next test idea"),
        "the reason is not on the page"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn sign_offs_are_recorded_and_withdrawn_by_form_and_a_stale_one_is_refused(pool: SqlitePool) {
    let app = app(pool.clone());
    proposal(&app, "Signed by form").await;
    let exp = app::db::experiments::by_key(&pool, "signed_by_form")
        .await
        .unwrap();
    let roles = |pool: SqlitePool| async move {
        let mut roles: Vec<String> = sqlx::query_scalar("SELECT role FROM sign_off ORDER BY role")
            .fetch_all(&pool)
            .await
            .unwrap();
        roles.sort();
        roles
    };

    let body = format!("role=product&version={}", exp.version);
    let (status, location) = post(&app, "/experiments/signed_by_form/sign-off", &body).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/experiments/signed_by_form")
    );
    assert_eq!(roles(pool.clone()).await, ["product"]);
    // The page it comes back to names the signer.
    let (_, page) = get(&app, &location).await;
    assert!(page.contains("signed off by"), "no sign-off on the page");

    // A sign-off of a brief that has changed since the page was drawn is refused, on the page.
    let stale = format!("role=design&version={}", exp.version - 1);
    let (_, location) = post(&app, "/experiments/signed_by_form/sign-off", &stale).await;
    assert!(
        location.starts_with("/experiments/signed_by_form?sign_off_error="),
        "{location}"
    );
    assert_eq!(roles(pool.clone()).await, ["product"]);
    let (_, page) = get(&app, &location).await;
    assert!(
        page.contains("the brief changed since you opened it"),
        "no refusal shown"
    );

    let (_, location) = post(
        &app,
        "/experiments/signed_by_form/sign-off",
        &format!("role=product&version={}&withdraw=true", exp.version),
    )
    .await;
    assert_eq!(location, "/experiments/signed_by_form");
    assert!(roles(pool.clone()).await.is_empty());

    let (_, location) = post(
        &app,
        "/experiments/signed_by_form/sign-off",
        &format!("role=ceo&version={}", exp.version),
    )
    .await;
    assert!(location.contains("not%20a%20sign-off%20role"), "{location}");
}
