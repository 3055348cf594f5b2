//! Server state: one pool created at start-up, handed to pages and server functions via context,
//! and the registry of live Mixpanel pulls, shared by the "Pull now" button and the schedule.

use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::SqlitePool;

use crate::error::AppError;
use crate::pull::PullRegistry;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    pub pulls: PullRegistry,
}

/// The pool, from the router state that `leptos_routes` provides as context. It takes a
/// witness that the caller's role was checked (`auth::Viewer::check()` and its siblings), so
/// no server function can read or write without deciding who may.
pub fn pool(_checked: &impl crate::auth::Access) -> Result<SqlitePool, AppError> {
    use_context::<AppState>()
        .map(|s| s.pool)
        .ok_or_else(|| AppError::internal("no AppState in context", "missing context"))
}

/// The live pulls, from the router state (for a checked caller, like `pool`).
pub fn pulls(_checked: &impl crate::auth::Access) -> Result<PullRegistry, AppError> {
    use_context::<AppState>()
        .map(|s| s.pulls)
        .ok_or_else(|| AppError::internal("no AppState in context", "missing context"))
}
