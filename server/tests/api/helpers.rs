use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use tower::ServiceExt;

pub fn app(pool: SqlitePool) -> Router {
    let options = LeptosOptions::builder().output_name("verdict").build();
    server::router(options, pool)
}

pub async fn get(app: &Router, path: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    read(response).await
}

/// Calls a server function the way the browser does: JSON body to /api/<name>.
pub async fn call(app: &Router, name: &str, json: serde_json::Value) -> (StatusCode, String) {
    let request = Request::post(format!("/api/{name}"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Body::from(json.to_string()))
        .unwrap();
    read(app.clone().oneshot(request).await.unwrap()).await
}

async fn read(response: axum::response::Response) -> (StatusCode, String) {
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}
