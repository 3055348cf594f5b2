//! The statistics contract of STATISTICS.md section 7: pure computation, so any signed-in role may
//! call it. A value the maths cannot use is a 400 naming the field as a path into the request
//! (`metrics[0].values.B.conversions`); the maths never sees invalid input.

use app::domain::stats;
use app::error::AppError;
use axum::Json;

use super::extract::{JsonBody, Viewer};
use super::{ApiError, ErrorBody};

fn invalid(e: stats::StatsInputError) -> ApiError {
    AppError::invalid(&e.field, e.problem.to_string()).into()
}

/// Users needed per arm for a planned test (Fleiss), and the days that takes at a given traffic.
#[utoipa::path(
    post,
    path = "/api/v1/stats/sample-size",
    tag = "stats",
    request_body = stats::SampleSizeRequest,
    responses(
        (status = 200, description = "users per arm, and days with traffic", body = stats::SampleSizeResponse),
        (status = 400, description = "a field is missing or out of range", body = ErrorBody),
    )
)]
pub async fn sample_size(
    _: Viewer,
    JsonBody(request): JsonBody<stats::SampleSizeRequest>,
) -> Result<Json<stats::SampleSizeResponse>, ApiError> {
    stats::sample_size(&request).map(Json).map_err(invalid)
}

/// Lift, confidence interval, p-value (or chance to win), SRM and corrections for observed counts.
#[utoipa::path(
    post,
    path = "/api/v1/stats/analyze",
    tag = "stats",
    request_body = stats::AnalyzeRequest,
    responses(
        (status = 200, description = "the SRM check and every comparison", body = stats::AnalyzeResponse),
        (status = 400, description = "a field is missing or out of range", body = ErrorBody),
    )
)]
pub async fn analyze(
    _: Viewer,
    JsonBody(request): JsonBody<stats::AnalyzeRequest>,
) -> Result<Json<stats::AnalyzeResponse>, ApiError> {
    stats::analyze(&request).map(Json).map_err(invalid)
}
