//! Server functions: public HTTP endpoints. Each one parses its input into domain types, calls
//! the domain and `db`, and maps errors to `AppError`; no rules live here.

pub mod audit;
pub mod experiments;
pub mod learnings;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod program;
pub mod pull;
pub mod results;
pub mod review;

/// Sets the HTTP status of a failed server-function call to the error's own (400, 404, 409,
/// 422), so clients and logs see a refused gate as a client error, not a server failure.
#[cfg(feature = "ssr")]
pub(crate) fn with_status<T>(
    result: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    if let Err(e) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                http::StatusCode::from_u16(e.status_code())
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}
