//! The audit log over HTTP: a race between two editors leaves one change in the log, the admin
//! page renders it before any script runs, and the CSV export is for admins only.

use app::domain::account::Role;
use app::domain::audit::AuditQuery;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sqlx::SqlitePool;

use crate::helpers::{app, call, get, send_as, token};

fn proposal(title: &str) -> serde_json::Value {
    json!({"form": {"key": "", "title": title, "hypothesis": "draft", "owner": "Ana", "team": "Checkout", "surface": "checkout", "tags": ""}})
}

async fn entries(pool: &SqlitePool, action: &str) -> Vec<app::domain::audit::AuditEntry> {
    let q = AuditQuery {
        action: Some(action.into()),
        ..Default::default()
    };
    app::db::audit::list(pool, &q, 100).await.unwrap()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn two_sessions_saving_the_same_version_leave_one_winner_one_conflict_and_one_log_entry(
    pool: SqlitePool,
) {
    // Arrange: one proposal, both editors opened it at the same version.
    let app = app(pool.clone());
    let (status, body) = call(&app, "create_experiment", proposal("Two editors")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let exp = app::db::experiments::by_key(&pool, "two_editors")
        .await
        .unwrap();
    let mut a = exp.brief.clone();
    a.hypothesis.change = "A".into();
    let mut b = exp.brief.clone();
    b.hypothesis.change = "B".into();
    let save = |brief| json!({"key": "two_editors", "version": exp.version, "brief": brief});

    // Act: both save at once.
    let (first, second) = tokio::join!(
        call(&app, "save_brief", save(a)),
        call(&app, "save_brief", save(b)),
    );

    // Assert: exactly one 200 and one 409 with the conflict message.
    let mut outcomes = [first, second];
    outcomes.sort_by_key(|(status, _)| *status);
    let [(won, won_body), (lost, lost_body)] = outcomes;
    assert_eq!(won, StatusCode::OK, "{won_body}");
    assert_eq!(lost, StatusCode::CONFLICT, "{lost_body}");
    assert!(lost_body.contains("someone else saved"), "{lost_body}");
    let stored = app::db::experiments::by_key(&pool, "two_editors")
        .await
        .unwrap();
    assert_eq!(stored.version, exp.version + 1);
    let saves = entries(&pool, "save brief").await;
    assert_eq!(saves.len(), 1, "{saves:?}");
    let change = &saves[0].changes;
    assert_eq!(change.len(), 1, "{change:?}");
    assert_eq!(change[0].field, "brief.hypothesis.change");
    assert_eq!(
        change[0].after.as_deref(),
        Some(stored.brief.hypothesis.change.as_str()),
        "the log shows the winner's value"
    );
    let proposed = entries(&pool, "propose").await;
    assert_eq!(
        saves[0].actor, proposed[0].actor,
        "both written by the signed-in token"
    );
    assert!(saves[0].actor_token_id.is_some());
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_admin_page_lists_changes_before_any_script_runs(pool: SqlitePool) {
    let app = app(pool.clone());
    call(&app, "create_experiment", proposal("Visible change")).await;

    let (status, html) = get(&app, "/admin/audit?action=propose").await;

    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Audit log"), "{html}");
    assert!(html.contains("visible_change"), "{html}");
    assert!(html.contains("Visible change"), "{html}");
    assert!(
        html.contains("/admin/audit.csv?action=propose"),
        "the CSV link keeps the filters"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_csv_export_is_for_admins_and_neutralises_formulas(pool: SqlitePool) {
    let app = app(pool.clone());
    call(
        &app,
        "create_experiment",
        proposal("=HYPERLINK(\"http://x\")"),
    )
    .await;

    let (status, csv) = get(&app, "/admin/audit.csv").await;

    assert_eq!(status, StatusCode::OK, "{csv}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,at,actor,actor_user_id,actor_token_id,action,entity_type,entity_key,field,before,after")
    );
    assert!(csv.contains(",propose,experiment,"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");

    let viewer = token(&pool, Role::Viewer).await;
    let request = || {
        Request::get("/admin/audit.csv")
            .body(Body::empty())
            .unwrap()
    };
    let (status, _) = send_as(&app, Some(&viewer), request()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send_as(&app, None, request()).await;
    assert_ne!(status, StatusCode::OK);
}
