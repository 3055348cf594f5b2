//! The stable JSON API under /api/v1.

use app::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
