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

/// The pool, from the router state that `leptos_routes` provides as context.
pub fn pool() -> Result<SqlitePool, AppError> {
    use_context::<AppState>()
        .map(|s| s.pool)
        .ok_or_else(|| AppError::internal("no AppState in context", "missing context"))
}

/// The live pulls, from the router state.
pub fn pulls() -> Result<PullRegistry, AppError> {
    use_context::<AppState>()
        .map(|s| s.pulls)
        .ok_or_else(|| AppError::internal("no AppState in context", "missing context"))
}
