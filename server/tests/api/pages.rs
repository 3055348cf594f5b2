use axum::http::StatusCode;
use serde_json::json;
use sqlx::SqlitePool;

use crate::helpers::{app, call, get};

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn health_answers_ok(pool: SqlitePool) {
    assert_eq!(
        get(&app(pool), "/healthz").await,
        (StatusCode::OK, "ok".into())
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_empty_board_offers_the_demo(pool: SqlitePool) {
    let (status, html) = get(&app(pool), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No experiments yet"));
    assert!(html.contains("Load the demo program"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_board_renders_every_column_with_counts_before_any_script_runs(pool: SqlitePool) {
    let who = app::domain::account::Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
        .await
        .unwrap();
    let (status, html) = get(&app(pool), "/").await;
    assert_eq!(status, StatusCode::OK);
    for column in [
        "column-proposed",
        "column-ready",
        "column-running",
        "column-done",
    ] {
        assert!(html.contains(column), "{column}");
    }
    assert!(
        html.contains("OVERDUE by"),
        "overdue running tests carry a badge"
    );
    assert!(html.contains("onboarding_checklist_v2"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_filtered_board_url_renders_only_matching_cards(pool: SqlitePool) {
    let who = app::domain::account::Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
        .await
        .unwrap();
    let (_, html) = get(&app(pool), "/?team=Pricing").await;
    assert!(html.contains("annual_plan_toggle_default"));
    assert!(!html.contains("onboarding_checklist_v2"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_unknown_experiment_is_a_404_page(pool: SqlitePool) {
    let app = app(pool);
    let (status, html) = get(&app, "/experiments/no_such_thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("experiment &#x27;no_such_thing&#x27; not found")
            || html.contains("experiment 'no_such_thing' not found"),
        "{html}"
    );
    let (status, _) = get(&app, "/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_experiment_page_shows_its_brief_and_history(pool: SqlitePool) {
    let app = app(pool);
    let (status, _) = call(&app, "create_experiment", json!({"form": {"key": "", "title": "Hero copy <b>bold</b>", "hypothesis": "benefits sell", "owner": "Sara", "team": "Growth", "surface": "homepage", "tags": "copy"}})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = get(&app, "/experiments/hero_copy_b_bold_b").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Hero copy &lt;b&gt;bold&lt;/b&gt;"),
        "typed HTML is shown as text"
    );
    assert!(html.contains("created as proposed"));
    assert!(
        html.contains("Save brief"),
        "a proposal's brief is editable"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn every_page_forbids_framing_and_sniffing(pool: SqlitePool) {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let response = app(pool)
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = response.headers();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
}

/// Building a router elsewhere in the process (another test, another server) while pages render
/// must not stall a render. Listing the routes sets leptos' process-wide flag that parks any
/// page data starting to load meanwhile, for good (leptos-rs/leptos#4773); this is where the
/// suite's rare 30 s timeouts on a page came from. The router lists its routes once per process.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn building_routers_while_pages_render_stalls_no_page(pool: SqlitePool) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let router = app(pool.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let (pool, stop) = (pool.clone(), stop.clone());
        std::thread::spawn(move || {
            // Listing the routes spawns tasks: this thread gets a runtime of its own, as
            // another test's does.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let _in_runtime = runtime.enter();
            let mut built = 0;
            while !stop.load(Ordering::Relaxed) {
                let options = leptos::prelude::LeptosOptions::builder()
                    .output_name("verdict")
                    .build();
                drop(server::router(options, pool.clone()));
                built += 1;
            }
            built
        })
    };
    // A query string of its own per request: each is a fresh render, not the page cache's copy.
    for n in 0..40 {
        let answered = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            get(&router, &format!("/review?render={n}")),
        )
        .await;
        let (status, html) = answered.unwrap_or_else(|_| panic!("render {n} stalled"));
        assert_eq!(status, StatusCode::OK, "render {n}: {html}");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(builder.join().unwrap() > 0, "routers were built meanwhile");
}

/// A viewer reads the board and a running experiment without the controls the server would
/// refuse them (moves, dragging, closing, recording results); an editor has every one.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_viewer_gets_no_controls_the_server_would_refuse_them(pool: SqlitePool) {
    use app::domain::account::Role;
    use axum::body::Body;
    use axum::http::Request;

    use crate::helpers::{running_checkout, send_as, token};

    let app = app(pool.clone());
    running_checkout(&app, &pool, "checkout_controls").await;
    let (s, body) = call(
        &app,
        "create_experiment",
        json!({"form": {"key": "rough_controls", "title": "Rough idea", "hypothesis": "h", "owner": "Ana", "team": "Checkout", "surface": "", "tags": ""}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let viewer = token(&pool, Role::Viewer).await;
    let editor = token(&pool, Role::Editor).await;
    let read = |who: String, path: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::get(path).body(Body::empty()).unwrap();
            let (status, html) = send_as(&app, Some(&who), request).await;
            assert_eq!(status, StatusCode::OK, "{path}: {html}");
            html
        }
    };

    let board = read(editor.clone(), "/").await;
    assert!(board.contains(">Mark ready<") && board.contains("draggable=\"true\""));
    let board = read(viewer.clone(), "/").await;
    assert!(board.contains("Rough idea") && board.contains("One-page checkout"));
    assert!(
        !board.contains(">Mark ready<"),
        "no move buttons for a viewer"
    );
    assert!(
        !board.contains("draggable=\"true\""),
        "no dragging for a viewer"
    );

    let page = read(editor.clone(), "/experiments/checkout_controls").await;
    for control in [
        "Close with a verdict…",
        "Type in results by hand",
        "Upload an export",
    ] {
        assert!(page.contains(control), "an editor has {control}");
    }
    assert!(!page.contains("aria-label=\"Status\" hidden"));
    let page = read(viewer.clone(), "/experiments/checkout_controls").await;
    assert!(page.contains("One-page checkout") && page.contains("Results"));
    assert!(
        page.contains("aria-label=\"Status\" hidden"),
        "no empty box where the controls would be"
    );
    for control in [
        "Close with a verdict…",
        "Type in results by hand",
        "Upload an export",
    ] {
        assert!(!page.contains(control), "a viewer has no {control}");
    }

    // A draft: the editor gets the brief form, the viewer reads the brief.
    let draft = read(editor.clone(), "/experiments/rough_controls").await;
    assert!(draft.contains("Save brief") && draft.contains(">Mark ready<"));
    let draft = read(viewer.clone(), "/experiments/rough_controls").await;
    assert!(draft.contains("Rough idea") && draft.contains("A draft: editors change this brief"));
    assert!(!draft.contains("Save brief"), "no brief form for a viewer");
    assert!(!draft.contains(">Mark ready<"));
}
