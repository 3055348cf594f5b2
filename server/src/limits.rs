//! Request-level bounds: how long a request may take and how large its body may be. Uploads
//! are the exception on both counts: a 2 GiB export takes minutes to send, so it gets an idle
//! timeout (no byte for a minute ends it) and its own size limit instead.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;

/// Every body but an upload: server-function arguments, forms and API JSON are a few KiB.
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_upload_bytes: u64,
    pub max_upload_users: usize,
    pub request_timeout: Duration,
    pub upload_idle_timeout: Duration,
}

impl Limits {
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_upload_bytes: config.max_upload_bytes,
            max_upload_users: config.max_upload_users,
            request_timeout: config.request_timeout,
            upload_idle_timeout: config.upload_idle_timeout,
        }
    }
}

/// Whether a request is a results upload (`POST /experiments/<key>/import`).
pub fn is_upload(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && path
            .strip_prefix("/experiments/")
            .and_then(|rest| rest.strip_suffix("/import"))
            .is_some_and(|key| !key.is_empty() && !key.contains('/'))
}

fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// 413 naming the limit, in the shape the caller reads (JSON for the API, text otherwise).
pub fn too_large(path: &str, what: &str, limit: u64) -> Response {
    let message = format!("{what} is larger than the limit of {}", human_bytes(limit));
    crate::auth::refuse(path, app::error::AppError::TooLarge(message))
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    format!("{n} bytes")
}

/// The middleware: size and time bounds on every request.
pub async fn bound_request(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_upload(req.method(), &path) {
        if declared_length(&req).is_some_and(|n| n > limits.max_upload_bytes) {
            return too_large(&path, "the upload", limits.max_upload_bytes);
        }
        let idle = limits.upload_idle_timeout;
        let req = req.map(|body| Body::new(tower_http::timeout::TimeoutBody::new(idle, body)));
        return next.run(req).await;
    }
    if declared_length(&req).is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large(&path, "the request body", MAX_BODY_BYTES as u64);
    }
    let req = req.map(|body| Body::new(http_body_util::Limited::new(body, MAX_BODY_BYTES)));
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the request took longer than {} s and was stopped; try again\n",
                limits.request_timeout.as_secs()
            ),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_import_route_is_an_upload() {
        assert!(is_upload(&Method::POST, "/experiments/abc/import"));
        assert!(!is_upload(&Method::GET, "/experiments/abc/import"));
        assert!(!is_upload(&Method::POST, "/experiments//import"));
        assert!(!is_upload(&Method::POST, "/experiments/a/b/import"));
        assert!(!is_upload(&Method::POST, "/api/save_brief"));
    }

    #[test]
    fn limits_read_as_people_write_them() {
        assert_eq!(human_bytes(2 << 30), "2 GiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(1500), "1.5 KiB");
        assert_eq!(human_bytes(10), "10 bytes");
    }
}
