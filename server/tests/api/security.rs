//! The trust boundary, tried as an outsider and as a low role would: path tricks, redirects,
//! oversized input, caching, sessions that must end, tokens that must die, reads that must not
//! write. Each test names the attack it stops.

use app::domain::account::{Identity, Role};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::{app, call_as, read, send_as, token};

/// The demo program (so there is data to leak), behind the real router.
async fn demo(pool: &SqlitePool) -> axum::Router {
    let who = Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(pool, chrono::Utc::now()))
        .await
        .unwrap();
    app(pool.clone())
}

fn anonymous_page(path: &str) -> Request<Body> {
    Request::get(path)
        .header("x-test-anonymous", "1")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap()
}

/// Words only the program's own data contains: a refused body must hold none of them.
const LEAKS: [&str; 4] = [
    "One-page checkout",
    "Express pay buttons",
    "data-testid=\"win-rate\"",
    "Service account",
];

fn assert_no_leak(what: &str, body: &str) {
    for leak in LEAKS {
        assert!(!body.contains(leak), "{what} leaked '{leak}': {body}");
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn dot_segments_and_other_path_tricks_are_refused_before_routing(pool: SqlitePool) {
    let app = demo(&pool).await;
    for path in [
        "/pkg/../",
        "/pkg/..",
        "/pkg/%2e%2e/",
        "/pkg/%2E%2E/experiments/one_page_checkout",
        "/pkg/../program",
        "/pkg/%2e%2e/settings",
        "/pkg/.%2e/settings",
        "/x/../settings",
        "/./settings",
        "/pkg/%5c..%5csettings",
        "/pkg/..%2fsettings",
        "/pkg/%252e%252e/settings",
        "//evil.example",
        "/pkg//verdict.js",
        "/login/../program",
        "/settings%00",
    ] {
        let (status, body) = read(app.clone().oneshot(anonymous_page(path)).await.unwrap()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_no_leak(path, &body);
        // Signed in, the answer is the same: a path is canonical or it is not.
        let admin = token(&pool, Role::Admin).await;
        let request = Request::get(path).body(Body::empty()).unwrap();
        let (status, _) = send_as(&app, Some(&admin), request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} signed in");
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_api_client_gets_a_refused_path_in_the_api_error_shape(pool: SqlitePool) {
    // Found by schemathesis: an experiment key with a control character in it.
    let app = demo(&pool).await;
    let admin = token(&pool, Role::Admin).await;
    let request = Request::get("/api/v1/experiments/A2%7F%04")
        .body(Body::empty())
        .unwrap();
    let (status, body) = send_as(&app, Some(&admin), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error body");
    assert_eq!(body["fields"][0]["field"], "path", "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("control character"),
        "{body}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_bundle_directory_never_falls_through_to_the_app(pool: SqlitePool) {
    let app = demo(&pool).await;
    for path in [
        "/pkg/missing.js",
        "/pkg/experiments/one_page_checkout",
        "/pkg/",
    ] {
        let (status, body) = read(app.clone().oneshot(anonymous_page(path)).await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(
            !body.contains("<!DOCTYPE html>"),
            "{path} rendered the app: {body}"
        );
        assert_no_leak(path, &body);
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_anonymous_request_for_any_other_path_reaches_no_part_of_the_app(pool: SqlitePool) {
    let app = demo(&pool).await;
    account(&pool, "root@example.com", Role::Admin).await;
    for path in [
        "/",
        "/no/such/page",
        "/program",
        "/settings/",
        "/Settings",
        "/experiments/one_page_checkout",
        "/login/",
        "/account",
        "/favicon.svg/x",
    ] {
        let response = app.clone().oneshot(anonymous_page(path)).await.unwrap();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let (status, body) = read(response).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}: {body}");
        assert!(
            location
                .as_deref()
                .unwrap_or("")
                .starts_with("/login?next="),
            "{path}: {location:?}"
        );
        assert_no_leak(path, &body);
    }
    // Not a page: 401, no body worth reading.
    for path in [
        "/api/v1/experiments",
        "/experiments.csv",
        "/calendar.ics",
        "/review.md",
    ] {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let (status, body) = send_as(&app, None, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert_no_leak(path, &body);
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_page_needs_the_same_role_however_its_path_is_spelled(pool: SqlitePool) {
    let app = demo(&pool).await;
    let viewer = token(&pool, Role::Viewer).await;
    for path in [
        "/settings",
        "/settings/",
        "/Settings",
        "/SETTINGS/",
        "/settings?x",
        "/admin/users/",
        "/Admin/Tokens",
        "/admin/audit?page=2",
        "/admin/audit.csv",
    ] {
        let request = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        let (status, body) = send_as(&app, Some(&viewer), request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert!(body.contains("your role is viewer"), "{path}: {body}");
        assert_no_leak(path, &body);
    }
}

/// Signs in through the form with `next`, returning where the browser is sent.
async fn sign_in_to(app: &axum::Router, email: &str, password: &str, next: &str) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("password", password)
        .append_pair("next", next)
        .finish();
    let request = Request::post("/auth/login")
        .header("x-test-anonymous", "1")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn account(pool: &SqlitePool, email: &str, role: Role) -> i64 {
    let new = app::domain::account::NewAccount {
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        password: "correct horse battery".into(),
    };
    app::auth::acting_as(
        Identity::system("test setup"),
        app::db::accounts::create_user(pool, &new, role, chrono::Utc::now()),
    )
    .await
    .unwrap()
    .id
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn after_sign_in_next_never_leaves_the_site(pool: SqlitePool) {
    let app = app(pool.clone());
    for (i, evil) in [
        "/\t/evil.example",
        "/%09/evil.example",
        "/\\evil",
        "//evil",
        "https://evil",
        "/%0d%0aSet-Cookie:x",
        "/%2F%2Fevil",
        "javascript:alert(1)",
    ]
    .into_iter()
    .enumerate()
    {
        // One account each: the sign-in limiter counts every attempt on an account.
        let email = format!("user{i}@example.com");
        account(&pool, &email, Role::Editor).await;
        let to = sign_in_to(&app, &email, "correct horse battery", evil).await;
        assert_eq!(to, "/", "{evil:?}");
    }
    account(&pool, "ana@example.com", Role::Editor).await;
    let to = sign_in_to(
        &app,
        "ana@example.com",
        "correct horse battery",
        "/program?team=Growth",
    )
    .await;
    assert_eq!(to, "/program?team=Growth");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn oversized_emails_are_refused_before_the_limiter_and_never_echoed(pool: SqlitePool) {
    let app = app(pool.clone());
    account(&pool, "ana@example.com", Role::Editor).await;
    let huge = format!("{}@example.com", "a".repeat(100_000));
    for _ in 0..20 {
        let to = sign_in_to(&app, &huge, "whatever at all", "/").await;
        assert!(
            to.starts_with("/login?error=invalid"),
            "{}",
            &to[..to.len().min(200)]
        );
        assert!(to.len() < 200, "the email is not echoed into the redirect");
    }
    // Twenty refusals from this address did not count against it.
    let to = sign_in_to(&app, "ana@example.com", "correct horse battery", "/").await;
    assert_eq!(to, "/");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn setup_does_not_exist_once_anyone_has_an_account(pool: SqlitePool) {
    let app = app(pool.clone());
    account(&pool, "ana@example.com", Role::Admin).await;
    let request = Request::post("/auth/setup")
        .header("x-test-anonymous", "1")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(
            "email=eve%40example.com&name=Eve&password=a+long+enough+passphrase&confirm=a+long+enough+passphrase",
        ))
        .unwrap();
    let (status, _) = read(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app::db::accounts::count_users(&pool).await.unwrap(), 1);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_analyze_endpoint_caps_arms_and_metrics_naming_the_limit(pool: SqlitePool) {
    let app = app(pool.clone());
    let arms: Vec<_> = (0..21)
        .map(|i| json!({"name": format!("arm{i}"), "users": 1000, "weight": 1.0}))
        .collect();
    let body = json!({"engine": "frequentist", "alpha": 0.05, "arms": arms, "metrics": []});
    let request = Request::post("/api/v1/stats/analyze")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, text) = read(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("at most 20 arms"), "{text}");

    let values = json!({"a": {"conversions": 10}, "b": {"conversions": 12}});
    let metrics: Vec<_> = (0..101)
        .map(|i| json!({"name": format!("m{i}"), "role": "secondary", "kind": "proportion", "direction": "increase", "values": values}))
        .collect();
    let body = json!({"engine": "frequentist", "alpha": 0.05,
        "arms": [{"name": "a", "users": 100, "weight": 0.5}, {"name": "b", "users": 100, "weight": 0.5}],
        "metrics": metrics});
    let request = Request::post("/api/v1/stats/analyze")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, text) = read(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("at most 100 metrics"), "{text}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn bodies_over_a_mebibyte_are_refused_with_413(pool: SqlitePool) {
    let app = app(pool.clone());
    let big = format!("{{\"filter\": {{\"q\": \"{}\"}}}}", "x".repeat(2 << 20));
    let request = Request::post("/api/get_board")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let (status, text) = read(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &text[..text.len().min(300)]
    );
    assert!(text.contains("1 MiB"), "{text}");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn signed_in_answers_are_never_cached_and_https_turns_on_hsts(pool: SqlitePool) {
    let app = demo(&pool).await;
    for path in [
        "/",
        "/program",
        "/api/v1/experiments",
        "/experiments.csv",
        "/login",
    ] {
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
        assert!(!response
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
    let config = server::config::Config {
        public_url: Some("https://verdict.example.com".into()),
        ..Default::default()
    };
    let options = leptos::config::LeptosOptions::builder()
        .output_name("verdict")
        .build();
    let https = server::router_for(
        app::state::AppState {
            leptos_options: options,
            pool: pool.clone(),
            pulls: Default::default(),
        },
        &config,
    );
    let response = https
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn showing_a_page_never_creates_a_calendar_feed_and_editors_create_and_rotate_them(
    pool: SqlitePool,
) {
    let app = demo(&pool).await;
    let feeds = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM calendar_feed")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    for path in ["/program", "/review", "/program?team=Checkout"] {
        let (status, _) = crate::helpers::get(&app, path).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = call_as(
        &app,
        Some(&token(&pool, Role::Viewer).await),
        "calendar_feed_url",
        json!({"team": "Checkout"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(feeds().await, 0, "reads wrote nothing");

    let post = |t: Option<String>, body: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::post("/api/create_calendar_feed")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body))
                .unwrap();
            send_or_admin(&app, t.as_deref(), request).await
        }
    };
    let viewer = token(&pool, Role::Viewer).await;
    let (status, _) = post(Some(viewer), "team=Checkout&rotate=false").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = post(None, "team=Nobody&rotate=false").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("no experiment belongs to a team named"),
        "{body}"
    );
    assert_eq!(feeds().await, 0);
    let (status, first) = post(None, "team=Checkout&rotate=false").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (_, rotated) = post(None, "team=Checkout&rotate=true").await;
    assert_ne!(first, rotated);
    let old: String = serde_json::from_str(&first).unwrap();
    let (status, _) = read(app.clone().oneshot(anonymous_page(&old)).await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the rotated-away link stopped working"
    );
    assert_eq!(feeds().await, 1);
}

/// Sends as `token`, or as the helper's admin with None.
async fn send_or_admin(
    app: &axum::Router,
    token: Option<&str>,
    mut request: Request<Body>,
) -> (StatusCode, String) {
    if let Some(t) = token {
        request.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {t}").parse().unwrap(),
        );
    }
    read(app.clone().oneshot(request).await.unwrap()).await
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn tokens_die_with_their_owner_and_refusals_are_audited(pool: SqlitePool) {
    let app = app(pool.clone());
    account(&pool, "root@example.com", Role::Admin).await;
    let ed = account(&pool, "ed@example.com", Role::Editor).await;
    let owner = app::db::accounts::identity_for_user(&pool, ed)
        .await
        .unwrap()
        .unwrap();
    let (_, secret) = app::auth::acting_as(
        Identity::system("test setup"),
        app::db::accounts::create_token(
            &pool,
            "ed's script",
            Role::Editor,
            app::db::accounts::TokenOwner::Account(&owner),
            Some(30),
            chrono::Utc::now(),
        ),
    )
    .await
    .unwrap();
    let list = || {
        Request::get("/api/v1/experiments")
            .body(Body::empty())
            .unwrap()
    };
    let (status, _) = send_as(&app, Some(&secret), list()).await;
    assert_eq!(status, StatusCode::OK);
    app::auth::acting_as(
        Identity::system("test setup"),
        app::db::accounts::update_user(&pool, ed, Role::Editor, true, chrono::Utc::now()),
    )
    .await
    .unwrap();
    let mut request = list();
    request.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {secret}").parse().unwrap(),
    );
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("created the token is disabled"),
        "{challenge}"
    );
    let logged: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, after FROM audit_log WHERE entity_type = 'security' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        logged
            .iter()
            .any(|(a, after)| a == "refused token" && after.contains("disabled")),
        "{logged:?}"
    );
    assert!(
        logged
            .iter()
            .all(|(_, after)| !after.contains(&secret[4..])),
        "the secret is never logged"
    );
}

/// The session cookie a sign-in set.
async fn session_of(app: &axum::Router, email: &str, password: &str) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("password", password)
        .append_pair("next", "/")
        .finish();
    let request = Request::post("/auth/login")
        .header("x-test-anonymous", "1")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/", "signed in");
    response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn page_with(app: &axum::Router, cookie: &str, path: &str) -> (StatusCode, Option<String>) {
    let request = Request::get(path)
        .header("x-test-anonymous", "1")
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned());
    (response.status(), location)
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn changing_a_password_ends_the_other_sessions_and_a_reset_forces_a_new_one(
    pool: SqlitePool,
) {
    let app = app(pool.clone());
    let bob = account(&pool, "bob@example.com", Role::Editor).await;
    let laptop = session_of(&app, "bob@example.com", "correct horse battery").await;
    let phone = session_of(&app, "bob@example.com", "correct horse battery").await;
    assert_eq!(page_with(&app, &phone, "/").await.0, StatusCode::OK);

    let change = Request::post("/auth/password")
        .header("x-test-anonymous", "1")
        .header(header::COOKIE, &laptop)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(
            "current=correct+horse+battery&new=violet+kettle+under+moonlight&confirm=violet+kettle+under+moonlight",
        ))
        .unwrap();
    let response = app.clone().oneshot(change).await.unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/account?changed=1");
    let laptop = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .unwrap_or(laptop);
    assert_eq!(
        page_with(&app, &laptop, "/").await.0,
        StatusCode::OK,
        "this session stays"
    );
    let (status, to) = page_with(&app, &phone, "/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the other session ended");
    assert!(to.unwrap().starts_with("/login"));

    let admin = token(&pool, Role::Admin).await;
    let (status, body) = call_as(&app, Some(&admin), "reset_password", json!({"id": bob})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let generated: String = serde_json::from_str(&body).unwrap();
    let (status, _) = page_with(&app, &laptop, "/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a reset ends every session");
    let fresh = session_of(&app, "bob@example.com", &generated).await;
    let (status, to) = page_with(&app, &fresh, "/program").await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/account?must_change=1"))
    );
    assert_eq!(page_with(&app, &fresh, "/account").await.0, StatusCode::OK);

    let events: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action IN ('sign in', 'change password', 'reset password') ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(events.contains(&"change password".to_owned()), "{events:?}");
    assert!(events.contains(&"reset password".to_owned()), "{events:?}");
    assert!(
        events.iter().filter(|e| *e == "sign in").count() >= 3,
        "{events:?}"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn failed_sign_ins_and_sign_outs_are_in_the_audit_log(pool: SqlitePool) {
    let app = app(pool.clone());
    account(&pool, "ana@example.com", Role::Viewer).await;
    let to = sign_in_to(&app, "ana@example.com", "not her password", "/").await;
    assert!(to.starts_with("/login?error=invalid"));
    let cookie = session_of(&app, "ana@example.com", "correct horse battery").await;
    let out = Request::post("/auth/logout")
        .header("x-test-anonymous", "1")
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(out).await.unwrap();
    let logged: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, entity_key FROM audit_log WHERE entity_type = 'security' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = logged.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["failed sign-in", "sign in", "sign out"],
        "{logged:?}"
    );
    assert!(logged.iter().all(|(_, who)| who == "ana@example.com"));
}

/// In-process, as a page renders them: with no identity in the request, every read refuses
/// itself (the middleware is not there to help).
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn read_functions_called_in_process_without_an_identity_refuse(pool: SqlitePool) {
    use app::api::*;
    use app::error::AppError;
    let who = Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
        .await
        .unwrap();
    let owner = leptos::prelude::Owner::new();
    owner.set();
    leptos::prelude::provide_context(app::state::AppState {
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("verdict")
            .build(),
        pool: pool.clone(),
        pulls: Default::default(),
    });
    let key = || "one_page_checkout".to_owned();
    let refused = |r: Result<(), AppError>, what: &str| {
        assert_eq!(r, Err(AppError::Unauthorized), "{what}");
    };
    refused(accounts::whoami().await.map(drop), "whoami");
    refused(
        experiments::get_board(Default::default(), None)
            .await
            .map(drop),
        "get_board",
    );
    refused(
        experiments::list_experiments(Default::default())
            .await
            .map(drop),
        "list_experiments",
    );
    refused(
        experiments::get_experiment(key()).await.map(drop),
        "get_experiment",
    );
    refused(results::get_results(key()).await.map(drop), "get_results");
    refused(
        app::pages::experiment::results::get_results_section(key())
            .await
            .map(drop),
        "get_results_section",
    );
    refused(
        learnings::search_learnings(Default::default())
            .await
            .map(drop),
        "search_learnings",
    );
    refused(pull::pull_status(key()).await.map(drop), "pull_status");
    refused(
        review::get_review(String::new(), false).await.map(drop),
        "get_review",
    );
    refused(
        program::get_program(Default::default()).await.map(drop),
        "get_program",
    );
    refused(
        program::list_cohort(Default::default(), "shipped".into())
            .await
            .map(drop),
        "list_cohort",
    );
    refused(
        signoffs::get_sign_offs(key()).await.map(drop),
        "get_sign_offs",
    );
    refused(
        signoffs::get_workspace_settings().await.map(drop),
        "get_workspace_settings",
    );
    refused(
        program::calendar_feed_url(String::new()).await.map(drop),
        "calendar_feed_url",
    );
    refused(
        pull::get_mixpanel_settings().await.map(drop),
        "get_mixpanel_settings",
    );
    refused(accounts::list_users().await.map(drop), "list_users");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn backups_are_readable_by_their_owner_only(pool: SqlitePool) {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("verdict-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.db", rand_name()));
    server::backup::backup(&pool, &file).await.unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    std::fs::remove_file(&file).unwrap();
}

fn rand_name() -> String {
    format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
