//! The axum application around the `app` library: the router is built here so tests run exactly
//! the app that `main` serves.

pub mod api_v1;
pub mod attribute_cmd;
pub mod audit_export;
pub mod auth;
pub mod backup;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod export;
pub mod import;

use app::app::{shell, App};
use app::pull::PullRegistry;
use app::state::AppState;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::SqlitePool;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Connects, migrates (failing loudly), and returns the pool.
pub async fn open_database(config: &config::Config) -> anyhow::Result<SqlitePool> {
    config.ensure_database_dir()?;
    let pool = app::db::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    app::db::MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migrations failed, refusing to start: {e}"))?;
    Ok(pool)
}

pub fn router(leptos_options: LeptosOptions, pool: SqlitePool) -> Router {
    router_with(AppState {
        leptos_options,
        pool,
        pulls: PullRegistry::default(),
    })
}

/// The router around a given state: `main` shares its pull registry with the schedule, and
/// tests pass one with short retry delays.
pub fn router_with(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let auth_state = auth::AuthState {
        pool: state.pool.clone(),
        limiter: Default::default(),
    };
    let sign_in = Router::new()
        .route("/auth/login", post(auth::handlers::login))
        .route("/auth/logout", post(auth::handlers::logout))
        .route("/auth/setup", post(auth::handlers::setup))
        .with_state(auth_state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(sign_in)
        // Uploads stream through the attributor with bounded memory, so no body-size cap.
        .route(
            "/experiments/{key}/import",
            axum::routing::post(import::import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/calendar.ics", get(calendar::feed))
        .route("/calendar/{file}", get(calendar::secret_feed))
        .route("/experiments.csv", get(export::experiments_csv))
        .route("/admin/audit.csv", get(audit_export::audit_csv))
        .route("/review.md", get(export::review_markdown))
        .nest("/api/v1", api_v1::routes())
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Every request, the fallback's static files included, passes the auth check; the
        // session layer sits outside it so the check can read the session.
        .layer(axum::middleware::from_fn_with_state(
            auth_state,
            auth::authenticate,
        ))
        .layer(auth::session_layer(state.pool.clone()))
        .layer(TraceLayer::new_for_http())
        // Every response: no framing (clickjacking), no MIME sniffing, no referrer leaking
        // experiment keys to other sites.
        // Pages set their own, stricter policy with a per-response script nonce (app.rs).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'; object-src 'none'; base-uri 'self'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}
