use axum::http::StatusCode;
use serde_json::json;
use sqlx::SqlitePool;

use crate::helpers::{app, call};

fn proposal(title: &str) -> serde_json::Value {
    json!({"form": {"key": "", "title": title, "hypothesis": "draft", "owner": "Ana", "team": "Checkout", "surface": "checkout", "tags": ""}})
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_proposal_missing_required_fields_is_refused_field_by_field(pool: SqlitePool) {
    let (status, body) = call(&app(pool.clone()), "create_experiment", json!({"form": {"key": "", "title": "", "hypothesis": "", "owner": "", "team": "", "surface": "", "tags": ""}})).await;
    assert!(
        status.is_client_error() || status.is_server_error(),
        "{status}"
    );
    for field in ["\"title\"", "\"owner\"", "\"team\"", "\"hypothesis\""] {
        assert!(body.contains(field), "{field} missing in {body}");
    }
    assert_eq!(
        app::db::experiments::count(&pool).await.unwrap(),
        0,
        "nothing stored"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn marking_an_incomplete_proposal_ready_lists_every_reason_and_changes_nothing(
    pool: SqlitePool,
) {
    let app = app(pool.clone());
    call(&app, "create_experiment", proposal("Incomplete")).await;
    let (_, body) = call(&app, "transition_experiment", json!({"key": "incomplete", "request": {"to": "ready", "note": "", "verdict": null, "ship_arm": "", "summary": "", "stop_reason": ""}})).await;
    assert!(body.contains("Refused"), "{body}");
    assert!(
        body.contains("minimum detectable effect is required"),
        "{body}"
    );
    assert!(body.contains("planned end date is required"), "{body}");
    let exp = app::db::experiments::by_key(&pool, "incomplete")
        .await
        .unwrap();
    assert_eq!(exp.status, app::domain::lifecycle::Status::Proposed);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_move_the_lifecycle_forbids_is_refused(pool: SqlitePool) {
    let app = app(pool);
    call(&app, "create_experiment", proposal("Skip ahead")).await;
    let (_, body) = call(&app, "transition_experiment", json!({"key": "skip_ahead", "request": {"to": "done", "note": "", "verdict": "ship", "ship_arm": "treatment", "summary": "x", "stop_reason": ""}})).await;
    assert!(body.contains("NotAllowed"), "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn two_saves_from_the_same_version_let_exactly_one_win(pool: SqlitePool) {
    let app = app(pool.clone());
    call(&app, "create_experiment", proposal("Two editors")).await;
    let exp = app::db::experiments::by_key(&pool, "two_editors")
        .await
        .unwrap();
    let mut a = exp.brief.clone();
    a.hypothesis.change = "A".into();
    let mut b = exp.brief.clone();
    b.hypothesis.change = "B".into();
    let (s1, body1) = call(
        &app,
        "save_brief",
        json!({"key": "two_editors", "version": exp.version, "brief": a}),
    )
    .await;
    let (_, body2) = call(
        &app,
        "save_brief",
        json!({"key": "two_editors", "version": exp.version, "brief": b}),
    )
    .await;
    assert_eq!(s1, StatusCode::OK, "{body1}");
    assert!(
        body2.contains("Conflict") && body2.contains("someone else saved"),
        "{body2}"
    );
    assert_eq!(
        app::db::experiments::by_key(&pool, "two_editors")
            .await
            .unwrap()
            .brief
            .hypothesis
            .change,
        "A"
    );
}
