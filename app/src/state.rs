//! Server state: one pool created at start-up, handed to pages and server functions via context.

use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::SqlitePool;

use crate::error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
}

/// The pool, from the router state that `leptos_routes` provides as context.
pub fn pool() -> Result<SqlitePool, AppError> {
    use_context::<AppState>()
        .map(|s| s.pool)
        .ok_or_else(|| AppError::internal("no AppState in context", "missing context"))
}
