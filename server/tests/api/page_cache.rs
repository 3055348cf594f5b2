//! The page cache (`server::page_cache`): a page read twice is rendered once, yet every copy
//! carries its own script nonce, every write shows on the next read, and no caller is served a
//! page rendered for someone else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request as AnyRequest;
use axum::http::{header, Method, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::{allow_raw_writes, app, call, policy_nonce, read, token};
use app::domain::account::{Credential, Identity, Role};
use server::page_cache::{serve, PageCache};

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

/// What the dashboard's sample-ratio figure reads.
fn srm_rate(dashboard: &str) -> String {
    let at = dashboard
        .find("data-testid=\"srm-rate\"")
        .expect("the dashboard shows the sample ratio figure");
    let rest = &dashboard[at..];
    let start = rest.find("class=\"num\"").unwrap();
    let text = &rest[start..];
    text[text.find('>').unwrap() + 1..text.find("</a>").unwrap()].to_owned()
}

/// Readings recorded over REST through the weekly review: each shows on the next read of its
/// experiment's page, and the dashboard shows the one that fails the sample ratio check, though
/// a reading no longer makes every kept page render again.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_reading_shows_on_the_next_read_of_the_pages_that_show_it(pool: SqlitePool) {
    use crate::rest_v1::{counts, post, running};
    let app = app(pool);
    running(&app, "checkout", "sequential").await;
    running(&app, "pricing", "sequential").await;
    let (_, _, board) = page(&app, "/", None).await;
    let (_, _, pricing) = page(&app, "/experiments/pricing", None).await;
    let (_, _, dashboard) = page(&app, "/program", None).await;
    let (_, _, checkout) = page(&app, "/experiments/checkout", None).await;
    assert!(!checkout.contains("60,000"), "no reading yet");

    let (status, body) = post(&app, "/api/v1/experiments/checkout/results", counts()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, _, checkout) = page(&app, "/experiments/checkout", None).await;
    assert!(checkout.contains("60,000"), "the reading's users per arm");
    let (_, _, healthy) = page(&app, "/program", None).await;
    assert_eq!(srm_rate(&dashboard), "–", "nothing checked yet");
    assert_eq!(srm_rate(&healthy), "0%", "one healthy check");
    // The pages that show no reading of `checkout` read as they did.
    let same = |a: &str, b: &str, nonce_a: &str, nonce_b: &str| {
        a.replace(nonce_a, "N") == b.replace(nonce_b, "N")
    };
    let (_, n1, board_now) = page(&app, "/", None).await;
    let n0 = policy_nonce_in(&board);
    assert!(same(&board, &board_now, &n0, &n1));
    let (_, n1, pricing_now) = page(&app, "/experiments/pricing", None).await;
    assert!(same(
        &pricing,
        &pricing_now,
        &policy_nonce_in(&pricing),
        &n1
    ));

    let mut skewed = counts();
    skewed["arms"][1]["users"] = 50_000.into();
    let (status, body) = post(&app, "/api/v1/experiments/checkout/results", skewed).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, _, failed) = page(&app, "/program", None).await;
    assert_eq!(srm_rate(&failed), "100%", "the failed check shows at once");
    let (_, _, checkout) = page(&app, "/experiments/checkout", None).await;
    assert!(checkout.contains("50,000"));
}

/// The nonce a page's scripts carry.
fn policy_nonce_in(body: &str) -> String {
    let at = body.find("nonce=\"").expect("a script with a nonce") + "nonce=\"".len();
    body[at..at + body[at..].find('"').unwrap()].to_owned()
}

/// Fake pages that count their renders per path, behind the cache, with the real counters
/// of a demo program; a reading posted over the REST route is stored as the experiment's
/// latest reading again (`same`) or with its second arm cut by a tenth (`skewed`).
fn pages_following(pool: SqlitePool, renders: Arc<Mutex<HashMap<String, usize>>>) -> Router {
    let page = move |uri: axum::http::Uri| {
        let renders = renders.clone();
        async move {
            *renders
                .lock()
                .unwrap()
                .entry(uri.path().to_owned())
                .or_default() += 1;
            let nonce = app::secret::random_hex::<16>();
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        format!("script-src 'nonce-{nonce}'"),
                    ),
                ],
                format!("<script nonce=\"{nonce}\"></script>"),
            )
        }
    };
    let db = pool.clone();
    let reading = move |axum::extract::Path(key): axum::extract::Path<String>, how: String| {
        let pool = db.clone();
        async move {
            let who = Identity::system("test");
            app::auth::acting_as(who, async {
                let exp = app::db::experiments::by_key(&pool, &key).await.unwrap();
                let latest = app::db::results::list(&pool, exp.id).await.unwrap();
                let mut counts = latest.last().expect("a reading").counts.clone();
                if how == "skewed" {
                    counts.arms[1].users -= counts.arms[1].users / 10;
                }
                let source = app::domain::results::Source::Manual;
                let now = chrono::Utc::now();
                app::db::results::insert(&pool, exp.id, source, &counts, 0, 0, now)
                    .await
                    .unwrap();
            })
            .await;
            StatusCode::CREATED
        }
    };
    let who = Identity {
        user_id: Some(7),
        token_id: None,
        name: "Ana".into(),
        email: "ana@example.test".into(),
        role: Role::Editor,
        credential: Credential::Session,
    };
    Router::new()
        .route("/", get(page.clone()))
        .route("/{*path}", get(page))
        .route(
            "/api/v1/experiments/{key}/results",
            axum::routing::post(reading),
        )
        .route("/api/save_brief", axum::routing::post(|| async { "ok" }))
        .layer(axum::middleware::from_fn_with_state(
            PageCache::new(pool),
            serve,
        ))
        .layer(axum::middleware::map_request(move |mut req: AnyRequest| {
            let who = who.clone();
            async move {
                req.extensions_mut().insert(who);
                req
            }
        }))
}

/// The weekly review records readings all through the meeting: each re-renders only the
/// pages that show readings of that experiment, and every page still follows the writes
/// it shows (an experiment's row, a reading that flips the dashboard's check, any other
/// write through the app).
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_reading_re_renders_only_the_pages_that_show_it(pool: SqlitePool) {
    let who = Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
        .await
        .unwrap();
    let running: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM experiment WHERE status = 'running' \
         AND EXISTS (SELECT 1 FROM snapshot WHERE experiment_id = experiment.id) ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (a, b) = (&running[0], &running[1]);
    let renders = Arc::new(Mutex::new(HashMap::new()));
    let app = pages_following(pool.clone(), renders.clone());
    let paths = [
        "/".to_owned(),
        "/program".to_owned(),
        "/experiments".to_owned(),
        format!("/experiments/{a}"),
        format!("/experiments/{b}"),
    ];
    let read_all = || async {
        for path in &paths {
            send(&app, Method::GET, path).await;
        }
        let counted = renders.lock().unwrap().clone();
        paths.iter().map(|p| counted[p]).collect::<Vec<_>>()
    };
    let reading = |key: &str, how: &'static str| {
        let req = Request::post(format!("/api/v1/experiments/{key}/results"))
            .body(Body::from(how))
            .unwrap();
        let app = app.clone();
        async move {
            let response = app.oneshot(req).await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    };
    //                                 board program list   a   b
    assert_eq!(read_all().await, [1, 1, 1, 1, 1]);
    assert_eq!(read_all().await, [1, 1, 1, 1, 1], "nothing written");

    reading(a, "same").await;
    assert_eq!(
        read_all().await,
        [1, 1, 2, 2, 1],
        "a reading on {a}: its page and the list (lifts), not the board, the dashboard \
         (no check flipped) or {b}'s page"
    );
    reading(a, "skewed").await;
    assert_eq!(
        read_all().await,
        [1, 2, 3, 3, 1],
        "a reading that fails the sample ratio check shows on the dashboard"
    );

    // Behind the app's back, as another process would.
    allow_raw_writes(&pool).await;
    sqlx::query("UPDATE experiment SET title = 'Renamed' WHERE key = ?")
        .bind(b)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        read_all().await,
        [2, 3, 4, 4, 2],
        "an experiment's row: every page lists it (a's page lists others on its surface)"
    );

    send(&app, Method::POST, "/api/save_brief").await;
    assert_eq!(
        read_all().await,
        [3, 4, 5, 5, 3],
        "any other write: every page"
    );
}

/// Sends a request with no body to the fake pages.
async fn send(app: &Router, method: Method, path: &str) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// The change log keeps only its last 10,000 steps. A reading recorded on an experiment whose
/// page nobody opened since, then pushed out of the log by later writes, still shows the next
/// time the page is read.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_reading_shows_even_after_the_change_log_dropped_it(pool: SqlitePool) {
    use crate::rest_v1::{counts, post, running};
    let app = app(pool.clone());
    running(&app, "checkout", "sequential").await;
    let (_, _, before) = page(&app, "/experiments/checkout", None).await;
    assert!(!before.contains("60,000"));
    let (status, body) = post(&app, "/api/v1/experiments/checkout/results", counts()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // What 10,000 later writes elsewhere would do to the log.
    sqlx::query("DELETE FROM program_change")
        .execute(&pool)
        .await
        .unwrap();
    let (_, _, after) = page(&app, "/experiments/checkout", None).await;
    assert!(after.contains("60,000"), "the page shows the reading");
}
