use axum::body::Body;
use std::sync::Arc;

use app::domain::account::{Identity, Role};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use tokio::sync::OnceCell;
use tower::ServiceExt;

/// The real router, with every request signed in as a test admin by bearer token unless it
/// already carries an `Authorization` header (or `x-test-anonymous`, which is removed): the
/// token is a real one, created in this test's database on first use, so requests pass
/// through the real auth middleware.
pub fn app(pool: SqlitePool) -> Router {
    test_log();
    let options = LeptosOptions::builder().output_name("verdict").build();
    signed_in_as_admin(server::router(options, pool.clone()), pool)
}

/// With `VERDICT_TEST_LOG` set to a tracing filter (`server=debug,sqlx=debug`), the tests' logs
/// go to stderr, each line with its thread's name: libtest names a test's thread after the test,
/// so a stalled request can be traced to the test and the query it waited on.
fn test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("VERDICT_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_thread_names(true)
                .with_writer(std::io::stderr)
                .try_init();
        }
    });
}

/// Wraps a router so requests without credentials carry a test admin's bearer token.
///
/// Before the first request it also puts the test database in write-ahead logging, as
/// `db::connect` does for the server's own file: `#[sqlx::test]` opens its databases in SQLite's
/// rollback journal, where a page still reading holds up every save until the busy timeout, and
/// the suite failed or stalled now and then with "database is locked" under load.
pub fn signed_in_as_admin(router: Router, pool: SqlitePool) -> Router {
    let admin: Arc<OnceCell<String>> = Arc::new(OnceCell::new());
    let wal: Arc<OnceCell<()>> = Arc::new(OnceCell::new());
    let token_pool = pool;
    let router = router.layer(axum::middleware::map_request(
        move |mut req: Request<Body>| {
            let admin = admin.clone();
            let wal = wal.clone();
            let pool = token_pool.clone();
            async move {
                wal.get_or_init(|| async {
                    app::db::maintenance::use_write_ahead_log(&pool)
                        .await
                        .expect("the test database switches to WAL")
                })
                .await;
                if req.headers_mut().remove("x-test-anonymous").is_none()
                    && !req.headers().contains_key(header::AUTHORIZATION)
                {
                    let secret = admin
                        .get_or_init(|| async { token(&pool, Role::Admin).await })
                        .await;
                    req.headers_mut().insert(
                        header::AUTHORIZATION,
                        format!("Bearer {secret}").parse().unwrap(),
                    );
                }
                req
            }
        },
    ));
    router.layer(axum::middleware::from_fn(on_server_runtime))
}

/// The runtime every test request is served on: multi-threaded, as `verdict serve`'s is
/// (`#[sqlx::test]` runs each test on a single-threaded one); the test still drives the request
/// from its own runtime. Now and then a page's render never finished and the request ended in
/// the 30 s timeout's 503: once in 10 to 26 runs of the program and page tests on the test's own
/// runtime, once in 47 on this one, none in 71 since server renders got their own reactive
/// arena (`sandboxed-arenas`, app/Cargo.toml). The cause inside Leptos was not found.
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()
            .expect("the test server's runtime starts")
    })
}

async fn on_server_runtime(
    req: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match server_runtime().spawn(next.run(req)).await {
        Ok(response) => response,
        // A panic in the app fails the test with the app's own message.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// A new bearer token with `role` in this test's database.
pub async fn token(pool: &SqlitePool, role: Role) -> String {
    let who = Identity::system("test setup");
    app::auth::acting_as(
        who,
        app::db::accounts::create_token(
            pool,
            &format!("test {role}"),
            role,
            app::db::accounts::TokenOwner::CommandLine,
            Some(90),
            chrono::Utc::now(),
        ),
    )
    .await
    .unwrap()
    .1
}

/// Calls a server function as the holder of `token` (or anonymously with None).
pub async fn call_as(
    app: &Router,
    token: Option<&str>,
    name: &str,
    json: serde_json::Value,
) -> (StatusCode, String) {
    let mut request = Request::post(format!("/api/{name}"))
        .header("content-type", "application/json")
        .header("accept", "application/json");
    request = match token {
        Some(t) => request.header(header::AUTHORIZATION, format!("Bearer {t}")),
        None => request.header("x-test-anonymous", "1"),
    };
    let request = request.body(Body::from(json.to_string())).unwrap();
    answer(app, request).await
}

/// Sends any request as the holder of `token` (or anonymously with None).
pub async fn send_as(
    app: &Router,
    token: Option<&str>,
    mut request: Request<Body>,
) -> (StatusCode, String) {
    match token {
        Some(t) => request.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {t}").parse().unwrap(),
        ),
        None => request
            .headers_mut()
            .insert("x-test-anonymous", "1".parse().unwrap()),
    };
    answer(app, request).await
}

pub async fn get(app: &Router, path: &str) -> (StatusCode, String) {
    answer(app, Request::get(path).body(Body::empty()).unwrap()).await
}

/// Calls a server function the way the browser does: JSON body to /api/<name>.
pub async fn call(app: &Router, name: &str, json: serde_json::Value) -> (StatusCode, String) {
    let request = Request::post(format!("/api/{name}"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Body::from(json.to_string()))
        .unwrap();
    answer(app, request).await
}

/// A request that gets no complete answer within this long is a hang: the test fails naming
/// it instead of holding the whole suite (and CI) until something kills it.
const NO_ANSWER: std::time::Duration = std::time::Duration::from_secs(120);

/// Sends `request` and reads its whole answer, failing the test if that never ends.
pub async fn answer(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let what = format!("{} {}", request.method(), request.uri());
    let exchange = async { read(app.clone().oneshot(request).await.unwrap()).await };
    tokio::time::timeout(NO_ANSWER, exchange)
        .await
        .unwrap_or_else(|_| panic!("{what} got no complete answer within {NO_ANSWER:?}"))
}

/// The script nonce a page's `Content-Security-Policy` names.
pub fn policy_nonce(policy: &str) -> &str {
    policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"))
}

pub async fn read(response: axum::response::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = response.into_body().collect();
    let bytes = tokio::time::timeout(NO_ANSWER, body)
        .await
        .unwrap_or_else(|_| panic!("a {status} answer's body never ended"))
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// For arrangements written as raw SQL: stamps the audit context outside any transaction, so
/// the raw writes after it are logged as "test setup" instead of refused (the next audited
/// write's commit clears it).
pub async fn allow_raw_writes(pool: &SqlitePool) {
    sqlx::query(
        "UPDATE audit_context SET actor_name = 'test setup', action = 'test setup', \
         at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// A running experiment `key` whose brief matches the committed 20k-event export (its arms,
/// purchase and signup events, the revenue property), started on the export's first day.
pub async fn running_checkout(app: &Router, pool: &SqlitePool, key: &str) {
    use serde_json::json;
    let (s, body) = call(app, "create_experiment", json!({"form": {"key": key, "title": "One-page checkout", "hypothesis": "h", "owner": "Ana", "team": "Checkout", "surface": "", "tags": ""}})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let metric = |name: &str, event: &str, kind: &str, property: &str| json!({"name": name, "event": event, "kind": kind, "direction": "increase", "value_property": property});
    let brief = json!({
        "primary": metric("purchase", "purchase_completed", "proportion", ""),
        "secondary": [metric("revenue", "purchase_completed", "mean", "amount"), metric("signup", "signup_completed", "proportion", "")],
        "arms": [{"name": "control", "weight": 0.5}, {"name": "one_page", "weight": 0.5}],
        "rule": {"engine": "sequential"},
    });
    let brief: app::domain::brief::Brief = serde_json::from_value(brief).unwrap();
    allow_raw_writes(pool).await;
    sqlx::query("UPDATE experiment SET brief = ?, status = 'running', started_at = '2024-05-01T00:00:00Z' WHERE key = ?")
        .bind(sqlx::types::Json(&brief))
        .bind(key)
        .execute(pool)
        .await
        .unwrap();
}
