//! The Raw Event Export API client: one streamed, gzip-decoded request, retried on 429 and 5xx
//! only before its body starts, so every byte handed on belongs to one complete attempt.

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::RETRY_AFTER;
use reqwest::{Response, StatusCode};
use tokio::sync::watch;

use super::registry::RetryPolicy;
use super::settings::MixpanelSettings;

/// Longest Mixpanel message quoted back to the person.
const MESSAGE_CHARS: usize = 500;

/// What one export asks for: the run's dates and only the events attribution reads.
#[derive(Debug, Clone)]
pub struct ExportRequest<'a> {
    pub settings: &'a MixpanelSettings,
    pub egress: &'a super::egress::Egress,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    #[error("Mixpanel refused the service account: check user and secret (HTTP 401)")]
    Unauthorized,
    #[error("Mixpanel says the service account may not read this project (HTTP 403): give it access to project {project_id} in the project's settings ({message})")]
    Forbidden { project_id: i64, message: String },
    #[error("refused to send the request: {0}")]
    Egress(String),
    #[error("Mixpanel rejected the request (HTTP 400): {0}")]
    BadRequest(String),
    #[error("Mixpanel kept limiting requests (HTTP 429) after {attempts} attempts; the export API allows few queries an hour, try again later")]
    RateLimited { attempts: u32 },
    #[error("Mixpanel asked to wait {seconds} s before trying again, longer than a pull waits; try again later")]
    WaitTooLong { seconds: u64 },
    #[error("Mixpanel failed with HTTP {status} on all {attempts} attempts; try again later")]
    ServerError { status: u16, attempts: u32 },
    #[error("could not reach Mixpanel at {base} after {attempts} attempts: {cause}")]
    Unreachable {
        base: String,
        attempts: u32,
        cause: String,
    },
    #[error("Mixpanel answered HTTP {status}: {message}")]
    Unexpected { status: u16, message: String },
    #[error("the export stopped after {bytes} bytes: {cause}")]
    Broken { bytes: u64, cause: String },
    #[error("the HTTP client could not start: {0}")]
    Client(String),
    #[error("cancelled")]
    Cancelled,
}

/// Why an attempt did not get a body, when another attempt may help.
enum Retryable {
    Status(StatusCode, Option<Duration>),
    Network(String),
}

/// Streams the export, calling `on_chunk` with each decoded piece as it arrives and `on_wait`
/// with a sentence while a retry is waited out (None once reading starts).
pub async fn stream_export(
    request: &ExportRequest<'_>,
    policy: RetryPolicy,
    cancel: &mut watch::Receiver<bool>,
    mut on_wait: impl FnMut(Option<String>),
    mut on_chunk: impl FnMut(&[u8]),
) -> Result<(), ExportError> {
    let url = format!("{}/api/2.0/export", request.egress.base(request.settings));
    request
        .egress
        .check_url(&url)
        .map_err(ExportError::Egress)?;
    let mut builder = reqwest::Client::builder()
        // A redirect could carry the secret's basic-auth to another host: never follow one.
        .redirect(reqwest::redirect::Policy::none());
    if let Some(resolver) = request.egress.resolver() {
        builder = builder.dns_resolver(resolver);
    }
    let client = builder
        .connect_timeout(Duration::from_secs(30))
        // The export computes before its first byte, but a silent stream is a dead one.
        .read_timeout(Duration::from_secs(300))
        .user_agent(concat!("verdict/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ExportError::Client(e.to_string()))?;
    let mut failed = 0;
    let mut response = loop {
        let outcome = tokio::select! {
            biased;
            _ = cancelled(cancel) => return Err(ExportError::Cancelled),
            r = attempt(&client, &url, request) => r?,
        };
        let retry = match outcome {
            Ok(response) => break response,
            Err(retry) => retry,
        };
        failed += 1;
        let retry_after = match &retry {
            Retryable::Status(_, after) => *after,
            Retryable::Network(_) => None,
        };
        if failed >= policy.attempts {
            return Err(give_up(request, retry, failed));
        }
        let Some(wait) = policy.delay(failed, retry_after) else {
            return Err(ExportError::WaitTooLong {
                seconds: retry_after.map_or(0, |w| w.as_secs()),
            });
        };
        on_wait(Some(format!(
            "{}; retrying in {} s (attempt {} of {})",
            describe(&retry),
            wait.as_secs_f64().ceil(),
            failed + 1,
            policy.attempts
        )));
        tokio::select! {
            biased;
            _ = cancelled(cancel) => return Err(ExportError::Cancelled),
            _ = tokio::time::sleep(wait) => {}
        }
    };
    on_wait(None);
    let mut bytes = 0u64;
    loop {
        let chunk = tokio::select! {
            biased;
            _ = cancelled(cancel) => return Err(ExportError::Cancelled),
            c = response.chunk() => c.map_err(|e| ExportError::Broken { bytes, cause: e.to_string() })?,
        };
        let Some(chunk) = chunk else { return Ok(()) };
        bytes += chunk.len() as u64;
        on_chunk(&chunk);
    }
}

/// One request: Ok(Ok) with a body to read, Ok(Err) to retry, Err to stop.
async fn attempt(
    client: &reqwest::Client,
    url: &str,
    request: &ExportRequest<'_>,
) -> Result<Result<Response, Retryable>, ExportError> {
    let settings = request.settings;
    let events = serde_json::to_string(&request.events).unwrap_or_else(|_| "[]".into());
    let sent = client
        .get(url)
        .query(&[
            ("project_id", settings.project_id.to_string()),
            ("from_date", request.from.format("%Y-%m-%d").to_string()),
            ("to_date", request.to.format("%Y-%m-%d").to_string()),
            ("event", events),
        ])
        .basic_auth(&settings.username, Some(settings.secret.expose()))
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) if e.is_builder() => return Err(ExportError::Client(e.to_string())),
        Err(e) => return Ok(Err(Retryable::Network(e.to_string()))),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(Ok(response));
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Ok(Err(Retryable::Status(status, retry_after(&response))));
    }
    let code = status.as_u16();
    Err(match status {
        StatusCode::UNAUTHORIZED => ExportError::Unauthorized,
        StatusCode::FORBIDDEN => ExportError::Forbidden {
            project_id: settings.project_id,
            message: message(response).await,
        },
        StatusCode::BAD_REQUEST => ExportError::BadRequest(message(response).await),
        _ => ExportError::Unexpected {
            status: code,
            message: message(response).await,
        },
    })
}

/// `Retry-After` in seconds; the HTTP-date form is left to the backoff.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// At most this much of an error body is read: the words that matter are at its start, and a
/// hostile or broken server could send gigabytes.
const MESSAGE_BYTES: usize = 4096;

/// Mixpanel's own words: the `error` field of its JSON answer, else the text, shortened.
async fn message(mut response: Response) -> String {
    let mut body = Vec::new();
    while body.len() < MESSAGE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MESSAGE_BYTES);
    let text = String::from_utf8_lossy(&body).into_owned();
    let said = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or(text);
    let said = said.trim();
    if said.is_empty() {
        "no explanation given".into()
    } else {
        said.chars().take(MESSAGE_CHARS).collect()
    }
}

fn describe(retry: &Retryable) -> String {
    match retry {
        Retryable::Status(s, _) if *s == StatusCode::TOO_MANY_REQUESTS => {
            "Mixpanel is limiting requests (HTTP 429)".into()
        }
        Retryable::Status(s, _) => format!("Mixpanel failed (HTTP {})", s.as_u16()),
        Retryable::Network(_) => "Mixpanel could not be reached".into(),
    }
}

fn give_up(request: &ExportRequest<'_>, retry: Retryable, attempts: u32) -> ExportError {
    match retry {
        Retryable::Status(s, _) if s == StatusCode::TOO_MANY_REQUESTS => {
            ExportError::RateLimited { attempts }
        }
        Retryable::Status(s, _) => ExportError::ServerError {
            status: s.as_u16(),
            attempts,
        },
        Retryable::Network(cause) => ExportError::Unreachable {
            base: request.egress.base(request.settings).to_owned(),
            attempts,
            cause,
        },
    }
}

/// Resolves once the pull is cancelled; never, if its registry entry is gone.
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}
