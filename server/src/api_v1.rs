//! The stable JSON API under /api/v1 (STATISTICS.md section 7). Bad input is always a 400 with
//! `{"error": "<what and where>"}`, whether the JSON is malformed, a field is missing, or a value
//! is out of range; the maths never sees invalid input.

use app::domain::stats;
use app::state::AppState;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stats/sample-size", post(sample_size))
        .route("/stats/analyze", post(analyze))
}

/// A 400 with a JSON error body.
pub struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": self.0 }))).into_response()
    }
}

/// Parses a JSON body; serde's message names the field and the position.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, BadRequest> {
    serde_json::from_slice(body).map_err(|e| BadRequest(format!("invalid request body: {e}")))
}

async fn sample_size(body: Bytes) -> Result<Json<stats::SampleSizeResponse>, BadRequest> {
    let request: stats::SampleSizeRequest = parse(&body)?;
    stats::sample_size(&request)
        .map(Json)
        .map_err(|e| BadRequest(e.to_string()))
}

async fn analyze(body: Bytes) -> Result<Json<stats::AnalyzeResponse>, BadRequest> {
    let request: stats::AnalyzeRequest = parse(&body)?;
    stats::analyze(&request)
        .map(Json)
        .map_err(|e| BadRequest(e.to_string()))
}
