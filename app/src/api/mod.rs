//! Server functions: public HTTP endpoints. Each one parses its input into domain types, calls
//! the domain and `db`, and maps errors to `AppError`; no rules live here.
//!
//! Each one checks its caller twice, both times with a typed role rather than its name in a
//! list: `#[middleware(crate::auth::Gate::EDITORS)]` refuses a caller before the arguments are
//! read, and the body starts with `crate::auth::Editor::check()?`, whose witness is the only
//! way to get the database pool (`state::pool`), so in-process calls while a page renders
//! are checked too. `server/tests/api/auth.rs` walks every registered function to prove both.

pub mod accounts;
pub mod audit;
pub mod codec;
pub mod experiments;
pub mod learnings;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod program;
pub mod pull;
pub mod results;
pub mod review;
pub mod signoffs;
pub mod warehouse;

/// Sets the HTTP status of a failed server-function call to the error's own (400, 404, 409,
/// 422), so clients and logs see a refused gate as a client error, not a server failure.
#[cfg(feature = "ssr")]
pub(crate) fn with_status<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    if let Err(e) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(e.http_status());
        }
    }
    result
}
