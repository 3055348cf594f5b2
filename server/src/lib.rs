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
pub mod csv_cell;
pub mod export;
pub mod import;
pub mod limits;
pub mod pack;
pub mod page_cache;
pub mod page_forms;
pub mod serve;

use app::app::{shell, App};
use app::pull::PullRegistry;
use app::state::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
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

/// The bundle's files (the wasm shell and pieces, the script, the stylesheet), compressed for
/// browsers that accept it: a file's `.br` or `.gz` twin when `scripts/compress_site.sh` made one
/// (brotli at its best, as the bundle is measured), otherwise compressed as it is sent, at a
/// level that costs milliseconds (brotli 5: 750 KB of wasm in about 25 ms). The wasm shell is
/// 750 KB raw and under 200 KB compressed.
fn bundle_files(
    pkg_dir: std::path::PathBuf,
) -> tower_http::compression::Compression<tower_http::services::ServeDir> {
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    let files = tower_http::services::ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    tower::Layer::layer(
        &CompressionLayer::new()
            .br(true)
            .gzip(true)
            .quality(CompressionLevel::Precise(5)),
        files,
    )
}

pub fn router(leptos_options: LeptosOptions, pool: SqlitePool) -> Router {
    router_with(AppState {
        leptos_options,
        pool,
        pulls: PullRegistry::default(),
    })
}

/// The router around a given state with the default limits: tests pass a state with short
/// retry delays.
pub fn router_with(state: AppState) -> Router {
    router_for(state, &config::Config::default())
}

/// The app's page routes, listed once per process. Listing them runs the app with leptos'
/// process-wide "suppress resource loads" flag set, and a page render anywhere in the process
/// whose data starts loading meanwhile waits forever (leptos_server 0.8's `SuppressResourceLoad`,
/// leptos-rs/leptos#4773): the request then ends in the 30 s timeout. A server builds its router
/// once before it serves, but the HTTP tests build one per test while other tests render pages,
/// which is where that rare 503 came from.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application: `main` passes the configuration it read from the environment.
///
/// Layers, outermost first: the trace; the canonical-path check (400 for `..`, `//`, encoded
/// slashes and backslashes, before anything else looks at the path); response headers; the
/// session; authentication and the page policy (`auth`); the page cache (`page_cache`, which
/// needs the caller); the request timeout and body limit (`limits`); then the routes. `/pkg` is a file service that never falls through to the app.
pub fn router_for(state: AppState, config: &config::Config) -> Router {
    let routes = route_list();
    let auth_state = auth::AuthState::new(state.pool.clone());
    if tokio::runtime::Handle::try_current().is_ok() {
        auth::limiter::spawn_pruning(auth_state.limiter.clone());
    }
    let sign_in = Router::new()
        .route("/auth/login", post(auth::handlers::login))
        .route("/auth/logout", post(auth::handlers::logout))
        .route("/auth/setup", post(auth::handlers::setup))
        .route("/auth/password", post(auth::handlers::change_password))
        .with_state(auth_state.clone());
    let pkg_dir = std::path::Path::new(&*state.leptos_options.site_root)
        .join(&*state.leptos_options.site_pkg_dir);
    let limits = limits::Limits::from_config(config);
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(sign_in)
        // Uploads stream through the attributor with bounded memory; their own limits apply
        // (`limits::Limits::max_upload_bytes`), not the 1 MiB of every other body.
        .route(
            "/experiments/{key}/import",
            axum::routing::post(import::import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        // The experiment page's lifecycle buttons, as plain form posts.
        .merge(page_forms::routes())
        .route("/calendar.ics", get(calendar::feed))
        .route("/calendar/{file}", get(calendar::secret_feed))
        .route("/experiments.csv", get(export::experiments_csv))
        .route("/admin/audit.csv", get(audit_export::audit_csv))
        .route("/review.md", get(export::review_markdown))
        .nest("/api/v1", api_v1::routes())
        .nest_service("/pkg", bundle_files(pkg_dir))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        // Only signed-in callers get here (the auth layer sends everyone else to sign in):
        // the site's other static files, else the app's own 404 page.
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            limits.clone(),
            limits::bound_request,
        ))
        .layer(axum::Extension(limits))
        // Inside authentication: a kept page is served only to the caller it was rendered for.
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(state.pool.clone()),
            page_cache::serve,
        ))
        // Every request, the fallback's static files included, passes the auth check; the
        // session layer sits outside it so the check can read the session.
        .layer(axum::middleware::from_fn_with_state(
            auth_state,
            auth::authenticate,
        ))
        .layer(auth::session_layer(state.pool.clone(), config.https()))
        .layer(axum::middleware::from_fn(no_store))
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
        ));
    if config.https() {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
        .layer(axum::middleware::from_fn(canonical_path))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Refuses a non-canonical path (400) before routing, sessions or the auth check see it.
async fn canonical_path(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match auth::policy::check_canonical(req.uri().path()) {
        Ok(()) => next.run(req).await,
        // API clients get the API's one error shape; everyone else a line of text.
        Err(why) if req.uri().path().starts_with("/api/") => (
            [(header::CACHE_CONTROL, "no-store")],
            api_v1::error::ApiError::invalid("path", why.describe()),
        )
            .into_response(),
        Err(why) => (
            StatusCode::BAD_REQUEST,
            [(header::CACHE_CONTROL, "no-store")],
            format!("bad request: {}\n", why.describe()),
        )
            .into_response(),
    }
}

/// Pages, exports and API answers hold the program's data: no cache keeps a copy. The
/// bundle under /pkg (the same for everyone) may be cached.
async fn no_store(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let cacheable = req.uri().path().starts_with("/pkg/");
    let mut response = next.run(req).await;
    if !cacheable && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
