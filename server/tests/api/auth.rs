//! Access control through the real router: who may call what, sessions, tokens, CSRF.

use app::domain::account::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::{app, call, call_as, send_as, token};

/// Every server function the app registers, by endpoint name.
fn server_functions() -> Vec<String> {
    let mut names: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert!(
        names.len() > 20,
        "the registry lists the app's functions: {names:?}"
    );
    names
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn every_server_function_refuses_anonymous_callers(pool: SqlitePool) {
    let app = app(pool);
    for name in server_functions() {
        let (status, body) = call_as(&app, None, &name, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert!(body.contains("Unauthorized"), "{name}: {body}");
    }
}

/// The role each server function should need: the spec the functions' own gates are checked
/// against. Anything not named here is expected to need an editor.
const READS: &[&str] = &[
    "whoami",
    "get_board",
    "list_experiments",
    "get_experiment",
    "get_results",
    "get_results_section",
    "search_learnings",
    "pull_status",
    "get_review",
    "get_program",
    "list_cohort",
    "get_sign_offs",
    "get_workspace_settings",
    "calendar_feed_url",
    "similar_experiments",
];
const ADMIN: &[&str] = &[
    "list_users",
    "add_user",
    "update_user",
    "reset_password",
    "list_tokens",
    "create_token",
    "revoke_token",
    "get_mixpanel_settings",
    "save_mixpanel_settings",
    "get_warehouse_settings",
    "save_warehouse_settings",
    "test_warehouse",
    "load_demo",
    "list_audit",
    "save_workspace_settings",
];

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn viewers_read_but_every_other_server_function_refuses_them(pool: SqlitePool) {
    let app = app(pool.clone());
    let viewer = token(&pool, Role::Viewer).await;
    let editor = token(&pool, Role::Editor).await;
    for name in server_functions() {
        // An empty body: a refused call must be refused before its arguments are read.
        let (status, body) = call_as(&app, Some(&viewer), &name, json!({})).await;
        if READS.contains(&name.as_str()) {
            assert!(
                status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                "{name} is a read: {status} {body}"
            );
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {body}");
            assert!(body.contains("your role is viewer"), "{name}: {body}");
        }
        let (status, body) = call_as(&app, Some(&editor), &name, json!({})).await;
        if ADMIN.contains(&name.as_str()) {
            assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {body}");
        } else {
            assert_ne!(status, StatusCode::FORBIDDEN, "{name}: {body}");
        }
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn write_routes_refuse_anonymous_and_viewer_requests(pool: SqlitePool) {
    let app = app(pool.clone());
    let viewer = token(&pool, Role::Viewer).await;
    let writes = [
        ("POST", "/experiments/some_key/import"),
        ("POST", "/api/v1/experiments"),
        ("PATCH", "/api/v1/experiments/some_key"),
        ("POST", "/api/v1/experiments/some_key/transition"),
        ("POST", "/api/v1/experiments/some_key/results"),
    ];
    for (method, path) in writes {
        let request = || {
            Request::builder()
                .method(method)
                .uri(path)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap()
        };
        let (status, body) = send_as(&app, None, request()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        let (status, body) = send_as(&app, Some(&viewer), request()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
    }
    assert_eq!(app::db::experiments::count(&pool).await.unwrap(), 0);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn anonymous_people_are_sent_to_setup_then_to_sign_in(pool: SqlitePool) {
    let app = app(pool.clone());
    let page = |path: &str| {
        Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap()
    };
    let response = app.clone().oneshot(with_anon(page("/"))).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/setup");

    create_admin(&app).await;
    let response = app
        .clone()
        .oneshot(with_anon(page("/experiments/x?tab=results")))
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?next=%2Fexperiments%2Fx%3Ftab%3Dresults"
    );
    for public in ["/login", "/healthz"] {
        let response = app.clone().oneshot(with_anon(page(public))).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{public}");
    }
    let (status, _) = send_as(
        &app,
        None,
        Request::get("/experiments.csv")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn with_anon(mut request: Request<Body>) -> Request<Body> {
    request
        .headers_mut()
        .insert("x-test-anonymous", "1".parse().unwrap());
    request
}

fn form(path: &str, body: &str, origin: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "verdict.test");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    with_anon(request.body(Body::from(body.to_owned())).unwrap())
}

/// Runs the first-run setup; returns the session cookie it set.
async fn create_admin(app: &axum::Router) -> String {
    let response = app
        .clone()
        .oneshot(form(
            "/auth/setup",
            "name=Ana&email=ana%40example.com&password=correct+horse+battery&confirm=correct+horse+battery",
            Some("http://verdict.test"),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/");
    cookie(&response)
}

fn cookie(response: &axum::response::Response) -> String {
    let set = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

async fn sign_in(app: &axum::Router, password: &str) -> axum::response::Response {
    app.clone()
        .oneshot(form(
            "/auth/login",
            &format!("email=ana%40example.com&password={password}&next=%2Fprogram"),
            Some("http://verdict.test"),
        ))
        .await
        .unwrap()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_session_signs_in_reads_pages_and_signs_out(pool: SqlitePool) {
    let app = app(pool.clone());
    create_admin(&app).await;
    let wrong = sign_in(&app, "wrong+password+here").await;
    assert_eq!(
        wrong.headers()[header::LOCATION],
        "/login?error=invalid&email=ana%40example.com&next=%2Fprogram"
    );
    let response = sign_in(&app, "correct+horse+battery").await;
    assert_eq!(response.headers()[header::LOCATION], "/program");
    let session = cookie(&response);

    let board = || {
        with_anon(
            Request::get("/")
                .header(header::COOKIE, &session)
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
    };
    let page = app.clone().oneshot(board()).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let mut out = form("/auth/logout", "", Some("http://verdict.test"));
    out.headers_mut()
        .insert(header::COOKIE, session.parse().unwrap());
    let response = app.clone().oneshot(out).await.unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/login?signed_out=1");
    let page = app.clone().oneshot(board()).await.unwrap();
    assert_eq!(
        page.status(),
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn repeated_failed_sign_ins_are_slowed_down(pool: SqlitePool) {
    let app = app(pool.clone());
    create_admin(&app).await;
    for _ in 0..5 {
        let response = sign_in(&app, "wrong+password+here").await;
        assert!(response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("error=invalid"));
    }
    let response = sign_in(&app, "correct+horse+battery").await;
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.contains("error=limited&"), "{location}");
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "not signed in"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_cross_origin_form_post_is_refused(pool: SqlitePool) {
    let app = app(pool.clone());
    let session = create_admin(&app).await;
    let proposal = "form%5Btitle%5D=Sneaky";
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (None, Some("cross-site")),
        (None, None),
    ] {
        let mut request = form("/api/create_experiment", proposal, origin);
        request
            .headers_mut()
            .insert(header::COOKIE, session.parse().unwrap());
        if let Some(site) = site {
            request
                .headers_mut()
                .insert("sec-fetch-site", site.parse().unwrap());
        }
        let (status, body) =
            crate::helpers::read(app.clone().oneshot(request).await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?} {site:?}: {body}");
        assert!(body.contains("cross-site request refused"), "{body}");
    }
    // The same request from our own page goes through (and fails only on its content).
    let mut request = Request::post("/api/create_experiment")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &session)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(json!({"form": {"key": "", "title": "Fine", "hypothesis": "x", "owner": "Ana", "team": "Growth", "surface": "", "tags": ""}}).to_string()))
        .unwrap();
    request = with_anon(request);
    let (status, body) = crate::helpers::read(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app::db::experiments::count(&pool).await.unwrap(), 1);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_revoked_token_stops_working_at_once(pool: SqlitePool) {
    let app = app(pool.clone());
    let (status, body) = call(
        &app,
        "create_token",
        json!({"name": "monitoring", "role": "viewer"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_i64().unwrap();

    // Bearer tokens work on pages too, not only on the API.
    let page = || Request::get("/program").body(Body::empty()).unwrap();
    let (status, _) = send_as(&app, Some(&secret), page()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call_as(&app, Some(&secret), "get_board", json!({"filter": {}})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = call(&app, "revoke_token", json!({"id": id})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = send_as(&app, Some(&secret), page()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call_as(&app, Some(&secret), "get_board", json!({"filter": {}})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send_as(&app, Some("vdt_not_a_real_token"), page()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn pages_carry_a_strict_script_policy_whose_nonce_is_on_every_inline_script(
    pool: SqlitePool,
) {
    let app = app(pool);
    let response = app
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let (_, body) = crate::helpers::read(response).await;
    let nonce = crate::helpers::policy_nonce(&policy);
    assert!(policy.contains("script-src 'self' 'nonce-"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let scripts = body.matches("<script").count();
    assert!(scripts > 0, "{body}");
    assert_eq!(
        body.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries this response's nonce"
    );
    // Another response gets another nonce.
    let again = app
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(!again.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains(nonce));
}
