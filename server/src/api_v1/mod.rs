//! The stable JSON API under /api/v1: the statistics contract (STATISTICS.md section 7) and the
//! experiment program (create, list, edit briefs, move through the lifecycle, record results,
//! read the analysis and the verdict). Handlers are thin: they check the caller's role, parse the
//! body, and call the same `app::api::*::ssr` functions the server functions use, so the API and
//! the UI share every rule, gate and message. Every error is one JSON shape (`error::ApiError`).
//! The OpenAPI document is served at /api/v1/openapi.json (`openapi`).

pub mod error;
mod experiments;
pub(crate) mod extract;
pub mod openapi;
mod results;
mod stats;

use app::state::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

pub use error::{ApiError, ErrorBody};

/// One route: its method, its path below /api/v1, and its handler.
struct Endpoint {
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

fn endpoint<H, T>(method: Method, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a standard HTTP method");
    Endpoint {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// The single list the router is built from; `route_list` exposes it so a test can check that the
/// OpenAPI document describes every route.
fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::POST, "/stats/sample-size", stats::sample_size),
        endpoint(Method::POST, "/stats/analyze", stats::analyze),
        endpoint(Method::GET, "/experiments", experiments::list),
        endpoint(Method::POST, "/experiments", experiments::create),
        endpoint(Method::GET, "/experiments/{key}", experiments::get),
        endpoint(Method::PATCH, "/experiments/{key}", experiments::patch),
        endpoint(
            Method::POST,
            "/experiments/{key}/transition",
            experiments::transition,
        ),
        endpoint(Method::POST, "/experiments/{key}/results", results::record),
        endpoint(
            Method::GET,
            "/experiments/{key}/analysis",
            results::analysis,
        ),
        endpoint(Method::GET, "/experiments/{key}/verdict", results::verdict),
        endpoint(Method::GET, "/openapi.json", openapi::serve),
    ]
}

/// Every (method, path) the API serves, paths below /api/v1.
pub fn route_list() -> Vec<(Method, &'static str)> {
    endpoints()
        .into_iter()
        .map(|e| (e.method, e.path))
        .collect()
}

/// The router nested at /api/v1. Two methods on one path merge into one route.
pub fn routes() -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.handler))
        .fallback(|| async { ApiError::from(app::error::AppError::NotFound("route".into())) })
}
