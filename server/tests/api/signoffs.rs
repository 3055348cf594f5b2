//! Sign-offs and amendments through the server functions, as the experiment page calls them.

use app::domain::account::Role;
use axum::http::StatusCode;
use axum::Router;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use sqlx::SqlitePool;

use crate::helpers::{app, call, call_as, token};

fn metric(name: &str) -> Value {
    json!({"name": name, "event": format!("{name}_event"), "kind": "proportion", "direction": "increase"})
}

/// Everything the ready and launch gates ask for.
fn complete_brief() -> Value {
    let today = Utc::now().date_naive();
    json!({
        "hypothesis": {"change": "the checkout", "from": "three steps", "to": "one page",
                       "because": "every step loses buyers"},
        "primary": metric("purchase"),
        "secondary": [metric("refund"), metric("support_ticket")],
        "baseline_rate": 0.1, "mde": 0.05, "alpha": 0.05, "power": 0.8,
        "arms": [{"name": "control", "weight": 0.5}, {"name": "one_page", "weight": 0.5}],
        "daily_traffic": 10000, "window_days": 14,
        "planned_start": today.to_string(),
        "planned_end": (today + Duration::days(14)).to_string(),
        "rule": {"min_lift": 0.02, "max_guardrail_drop": 0.01, "engine": "frequentist", "correction": "holm"}
    })
}

async fn ok(app: &Router, name: &str, args: Value) -> Value {
    let (status, body) = call(app, name, args).await;
    assert_eq!(status, StatusCode::OK, "{name}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn version(pool: &SqlitePool, key: &str) -> i64 {
    app::db::experiments::by_key(pool, key)
        .await
        .unwrap()
        .version
}

async fn move_to(app: &Router, key: &str, to: &str) -> (StatusCode, String) {
    call(
        app,
        "transition_experiment",
        json!({"key": key, "request": {"to": to, "note": "", "verdict": null, "ship_arm": "", "summary": "", "stop_reason": ""}}),
    )
    .await
}

/// A proposal with a complete brief, marked ready.
async fn ready(app: &Router, pool: &SqlitePool, key: &str) {
    ok(
        app,
        "create_experiment",
        json!({"form": {"key": key, "title": "One-page checkout", "hypothesis": "draft", "owner": "Ana",
                        "team": "Checkout", "surface": "checkout", "tags": ""}}),
    )
    .await;
    let v = version(pool, key).await;
    ok(
        app,
        "save_brief",
        json!({"key": key, "version": v, "brief": complete_brief()}),
    )
    .await;
    let (status, body) = move_to(app, key, "ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn sign(app: &Router, pool: &SqlitePool, key: &str, role: &str) -> Value {
    let v = version(pool, key).await;
    ok(
        app,
        "sign_off",
        json!({"key": key, "version": v, "role": role}),
    )
    .await
}

async fn running(app: &Router, pool: &SqlitePool, key: &str) {
    ready(app, pool, key).await;
    for role in ["product", "engineering", "design"] {
        sign(app, pool, key, role).await;
    }
    let (status, body) = move_to(app, key, "running").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn launch_is_refused_per_missing_sign_off_until_all_three_have_signed(pool: SqlitePool) {
    let app = app(pool.clone());
    ready(&app, &pool, "checkout").await;

    let (status, body) = move_to(&app, "checkout", "running").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for role in ["product", "engineering", "design"] {
        assert!(body.contains(&format!("no {role} sign-off yet")), "{body}");
    }

    sign(&app, &pool, "checkout", "product").await;
    sign(&app, &pool, "checkout", "engineering").await;
    let (_, body) = move_to(&app, "checkout", "running").await;
    assert!(body.contains("no design sign-off yet"), "{body}");
    assert!(!body.contains("no product sign-off yet"), "{body}");

    let signed = sign(&app, &pool, "checkout", "design").await;
    assert_eq!(signed["role"], "design");
    assert!(
        signed["name"].as_str().unwrap().contains("test admin"),
        "{signed}"
    );
    let view = ok(&app, "get_sign_offs", json!({"key": "checkout"})).await;
    assert_eq!(view["sign_offs"].as_array().unwrap().len(), 3);
    assert_eq!(view["settings"]["require_sign_offs"], true);

    let (status, body) = move_to(&app, "checkout", "running").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_brief_edit_after_a_sign_off_clears_the_sign_offs(pool: SqlitePool) {
    let app = app(pool.clone());
    ready(&app, &pool, "checkout").await;
    sign(&app, &pool, "checkout", "product").await;
    let mut brief = complete_brief();
    brief["mde"] = json!(0.04);
    let v = version(&pool, "checkout").await;
    ok(
        &app,
        "save_brief",
        json!({"key": "checkout", "version": v, "brief": brief}),
    )
    .await;
    let view = ok(&app, "get_sign_offs", json!({"key": "checkout"})).await;
    assert_eq!(view["sign_offs"], json!([]));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn signing_off_a_version_that_changed_since_is_a_409(pool: SqlitePool) {
    let app = app(pool.clone());
    ready(&app, &pool, "checkout").await;
    let stale = version(&pool, "checkout").await - 1;
    let (status, body) = call(
        &app,
        "sign_off",
        json!({"key": "checkout", "version": stale, "role": "design"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn viewers_cannot_sign_off_or_amend_and_only_admins_change_the_setting(pool: SqlitePool) {
    let app = app(pool.clone());
    ready(&app, &pool, "checkout").await;
    let v = version(&pool, "checkout").await;
    let viewer = token(&pool, Role::Viewer).await;
    let editor = token(&pool, Role::Editor).await;
    let (status, _) = call_as(
        &app,
        Some(&viewer),
        "sign_off",
        json!({"key": "checkout", "version": v, "role": "design"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call_as(
        &app,
        Some(&viewer),
        "amend_brief",
        json!({"key": "checkout", "version": v, "brief": complete_brief(), "reason": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call_as(
        &app,
        Some(&editor),
        "save_workspace_settings",
        json!({"settings": {"require_sign_offs": false}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call_as(
        &app,
        Some(&viewer),
        "get_sign_offs",
        json!({"key": "checkout"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"can_edit\":false"), "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_workspace_that_turns_the_requirement_off_launches_without_sign_offs(pool: SqlitePool) {
    let app = app(pool.clone());
    let saved = ok(
        &app,
        "save_workspace_settings",
        json!({"settings": {"require_sign_offs": false}}),
    )
    .await;
    assert_eq!(saved["require_sign_offs"], false);
    ready(&app, &pool, "checkout").await;
    let (status, body) = move_to(&app, "checkout", "running").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_running_brief_changes_only_by_an_amendment_with_a_reason(pool: SqlitePool) {
    let app = app(pool.clone());
    running(&app, &pool, "checkout").await;
    let v = version(&pool, "checkout").await;
    let mut brief = complete_brief();
    brief["rule"]["min_lift"] = json!(0.03);

    let (status, body) = call(
        &app,
        "save_brief",
        json!({"key": "checkout", "version": v, "brief": brief}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("amend it with a written reason"), "{body}");

    let (status, body) = call(
        &app,
        "amend_brief",
        json!({"key": "checkout", "version": v, "brief": brief, "reason": "  "}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("written reason"), "{body}");

    let new_version = ok(
        &app,
        "amend_brief",
        json!({"key": "checkout", "version": v, "brief": brief, "reason": "finance raised the bar"}),
    )
    .await;
    assert_eq!(new_version, json!(v + 1));
    let view = ok(&app, "get_sign_offs", json!({"key": "checkout"})).await;
    let amendments = view["amendments"].as_array().unwrap();
    assert_eq!(amendments.len(), 1);
    assert_eq!(amendments[0]["changed"], json!(["decision_rule"]));
    assert_eq!(amendments[0]["reason"], "finance raised the bar");
    assert_eq!(
        view["sign_offs"].as_array().unwrap().len(),
        3,
        "the launch record keeps its sign-offs"
    );

    // From the version before the amendment: a conflict, and nothing more is stored.
    brief["mde"] = json!(0.04);
    let (status, body) = call(
        &app,
        "amend_brief",
        json!({"key": "checkout", "version": v, "brief": brief, "reason": "stale"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let view = ok(&app, "get_sign_offs", json!({"key": "checkout"})).await;
    assert_eq!(view["amendments"].as_array().unwrap().len(), 1);
}
