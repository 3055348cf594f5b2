//! Server functions: public HTTP endpoints. Each one parses its input into domain types, calls
//! the domain and `db`, and maps errors to `AppError`; no rules live here.

pub mod accounts;
pub mod audit;
pub mod experiments;
pub mod learnings;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod program;
pub mod pull;
pub mod results;
pub mod review;
pub mod signoffs;

/// Server functions that only read: any signed-in viewer may call them.
pub const READ_ONLY: &[&str] = &[
    "whoami",
    "get_board",
    "get_experiment",
    "get_results",
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

/// Server functions for admins: accounts, tokens, settings, data sources, the audit log.
pub const ADMIN_ONLY: &[&str] = &[
    "list_users",
    "add_user",
    "update_user",
    "list_tokens",
    "create_token",
    "revoke_token",
    "get_mixpanel_settings",
    "save_mixpanel_settings",
    "load_demo",
    "list_audit",
    "save_workspace_settings",
];

/// The role a server function needs, by its endpoint name; the server's auth middleware checks
/// it before the function runs. Anything not listed writes, so it needs an editor: a new
/// server function is closed to viewers until someone lists it as a read.
pub fn required_role(endpoint: &str) -> crate::domain::account::Role {
    use crate::domain::account::Role;
    if READ_ONLY.contains(&endpoint) {
        Role::Viewer
    } else if ADMIN_ONLY.contains(&endpoint) {
        Role::Admin
    } else {
        Role::Editor
    }
}

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
