//! One error shape for every /api/v1 route: `{"error": "...", "fields": [...]?, "reasons": [...]?}`
//! with the status `AppError::status_code()` gives (400 invalid, 401, 403, 404, 409, 422). Internal
//! causes were logged where they happened and are never in the body.

use app::domain::lifecycle::TransitionError;
use app::error::AppError;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The whole problem in one sentence (for invalid input: every field's problem, joined).
    #[schema(example = "title: Title is required")]
    pub error: String,
    /// 400 only: one entry per input field that is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    /// 422 only: every reason the lifecycle gate refused the move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
}

/// One problem with one input field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as a path into the request (`brief.arms[1].weight`, `key`).
    pub field: String,
    pub message: String,
}

/// An `AppError` answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError(AppError::invalid(field, message))
    }

    pub fn body(&self) -> ErrorBody {
        let fields = match &self.0 {
            AppError::Invalid(list) => Some(
                list.iter()
                    .map(|e| FieldProblem {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        let reasons = match &self.0 {
            AppError::Transition(TransitionError::Refused { reasons, .. }) => Some(reasons.clone()),
            AppError::Transition(e @ TransitionError::NotAllowed { .. }) => {
                Some(vec![e.to_string()])
            }
            _ => None,
        };
        ErrorBody {
            error: self.0.to_string(),
            fields,
            reasons,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0.http_status(), Json(self.body())).into_response()
    }
}
