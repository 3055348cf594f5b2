//! One error type for every server function and page. Variants carry what the person needs to
//! fix the problem; internal causes are logged on the server and never sent to the browser.

use serde::{Deserialize, Serialize};
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::domain::experiment::FieldError;
use crate::domain::lifecycle::TransitionError;

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(String),
    /// Bad input, one entry per field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// A lifecycle gate said no; every reason is listed.
    #[error("{0}")]
    Transition(TransitionError),
    /// Someone else changed the record since it was loaded.
    #[error("{0}")]
    Conflict(String),
    /// No session or token: sign in first.
    #[error("sign in first")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The server is at a bound it keeps on purpose (e.g. concurrent password checks); the
    /// message says when to try again.
    #[error("{0}")]
    Busy(String),
    /// The request is larger than a limit the server keeps; the message names the limit.
    #[error("{0}")]
    TooLarge(String),
    #[error("something went wrong on the server; it has been logged")]
    Internal,
    /// The request never reached our code (network, encoding).
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 400,
            AppError::Transition(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::TooLarge(_) => 413,
            AppError::Busy(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// Logs an unexpected failure with its cause and returns the opaque `Internal`.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "{context}");
        AppError::Internal
    }
}

/// The one mapping from an error to its HTTP status, for every route and server function.
#[cfg(feature = "ssr")]
impl AppError {
    pub fn http_status(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status_code())
            .expect("every status_code() is a valid HTTP status")
    }
}

/// A plain-text response (exports, calendar feeds): the status and the message, nothing internal.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (self.http_status(), self.to_string()).into_response()
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        AppError::Transition(e)
    }
}

impl FromServerFnError for AppError {
    // Read in the browser like every response (`api::codec`): one JSON parser in the bundle.
    type Encoder = crate::api::codec::TextJsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound("record".into()),
            // A call site that expects a violation maps it first (`db::on_unique`); one nobody
            // expected still says which value clashed, never another table's message.
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                match crate::db::unique_violation(db.message()) {
                    Some((table, column)) => {
                        AppError::Conflict(format!("another {table} already has that {column}"))
                    }
                    None => AppError::Conflict("that value is already taken".into()),
                }
            }
            other => AppError::internal("database error", other),
        }
    }
}

/// The reasons an error carries, one line each: every field's message, every reason a gate
/// refused, else the error's own message.
pub fn reasons(error: &AppError) -> Vec<String> {
    use crate::domain::lifecycle::TransitionError;
    match error {
        AppError::Invalid(fields) => fields.iter().map(|f| f.message.clone()).collect(),
        AppError::Transition(TransitionError::Refused { reasons, .. }) => reasons.clone(),
        other => vec![other.to_string()],
    }
}
