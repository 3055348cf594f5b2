//! The page cache (`server::page_cache`): a page read twice is rendered once, yet every copy
//! carries its own script nonce, every write shows on the next read, and no caller is served a
//! page rendered for someone else.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::json;
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::{allow_raw_writes, app, call, policy_nonce, read, token};
use app::domain::account::Role;

/// GETs `path` (as `bearer`, else the test admin): status, the policy's nonce, the body.
async fn page(app: &Router, path: &str, bearer: Option<&str>) -> (StatusCode, String, String) {
    let mut request = Request::get(path);
    if let Some(t) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = policy_nonce(&policy).to_owned();
    let (status, body) = read(response).await;
    (status, nonce, body)
}

async fn demo(pool: &SqlitePool) {
    let who = app::domain::account::Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(pool, chrono::Utc::now()))
        .await
        .unwrap();
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_page_read_twice_is_the_same_page_with_a_fresh_nonce_each_time(pool: SqlitePool) {
    demo(&pool).await;
    let app = app(pool);
    let (s1, n1, first) = page(&app, "/", None).await;
    let (s2, n2, second) = page(&app, "/", None).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_ne!(n1, n2, "a nonce is never sent twice");
    assert!(
        first.contains(&format!("nonce=\"{n1}\"")),
        "the scripts carry the policy's nonce"
    );
    assert!(second.contains(&format!("nonce=\"{n2}\"")));
    assert!(
        !second.contains(&n1),
        "no trace of the earlier copy's nonce"
    );
    assert_eq!(first.replace(&n1, "N"), second.replace(&n2, "N"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn every_write_shows_on_the_next_read(pool: SqlitePool) {
    demo(&pool).await;
    let app = app(pool.clone());
    let (_, _, before) = page(&app, "/", None).await;
    assert!(!before.contains("Cache follows writes"));

    // Through the app: a server function.
    let form = json!({"form": {"key": "", "title": "Cache follows writes", "hypothesis": "draft",
        "owner": "Ana", "team": "Checkout", "surface": "checkout", "tags": ""}});
    let (status, body) = call(&app, "create_experiment", form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, after) = page(&app, "/", None).await;
    assert!(after.contains("Cache follows writes"));

    // Behind the app's back (another process on the same file): the database's version moves.
    allow_raw_writes(&pool).await;
    sqlx::query(
        "UPDATE experiment SET title = 'Renamed elsewhere' WHERE key = 'cache_follows_writes'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (_, _, elsewhere) = page(&app, "/", None).await;
    assert!(elsewhere.contains("Renamed elsewhere"));
    assert!(!elsewhere.contains("Cache follows writes"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_page_kept_for_an_admin_is_never_served_to_a_viewer(pool: SqlitePool) {
    demo(&pool).await;
    let app = app(pool.clone());
    let (_, _, admin) = page(&app, "/", None).await;
    assert!(admin.contains("href=\"/admin/users\""));
    let viewer = token(&pool, Role::Viewer).await;
    let (status, _, seen) = page(&app, "/", Some(&viewer)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !seen.contains("href=\"/admin/users\""),
        "a viewer gets a viewer's page"
    );
    assert!(seen.contains("viewer"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_missing_experiment_stays_a_404_however_often_it_is_asked_for(pool: SqlitePool) {
    let app = app(pool);
    for _ in 0..2 {
        let (status, _, _) = page(&app, "/experiments/no_such_thing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
