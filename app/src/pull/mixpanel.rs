//! The Raw Event Export API client: one streamed, gzip-decoded request, retried on 429 and 5xx
//! only before its body starts, so every byte handed on belongs to one complete attempt.

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::header::RETRY_AFTER;
use reqwest::{Response, StatusCode};
use tokio::sync::watch;

use super::budget::QueryBudget;
use super::registry::{Patience, RetryPolicy};
use super::settings::{AuthMethod, MixpanelSettings};

/// Longest Mixpanel message quoted back to the person.
const MESSAGE_CHARS: usize = 500;

/// What one export asks for: the run's dates and only the events attribution reads.
#[derive(Debug, Clone)]
pub struct ExportRequest<'a> {
    pub settings: &'a MixpanelSettings,
    pub egress: &'a super::egress::Egress,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The zone the dates are in, for explaining a refusal.
    pub zone: String,
    /// Empty: every event.
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    #[error("Mixpanel refused the service account: check user and secret (HTTP 401)")]
    Unauthorized,
    #[error("Mixpanel refused the project secret: check the secret in the project's settings (HTTP 401)")]
    ProjectSecretRefused,
    #[error("Mixpanel says the service account may not read this project (HTTP 403): the credentials are valid, but the account lacks access to project {project_id}, or to its classified data; give it a role on the project (and the classified-data permission if the project classifies data) in Mixpanel's organization settings ({message})")]
    Forbidden { project_id: i64, message: String },
    #[error("refused to send the request: {0}")]
    Egress(String),
    #[error("Mixpanel rejected the request (HTTP 400): {0}")]
    BadRequest(String),
    #[error("Mixpanel rejected the request (HTTP 400): {message}. Verdict asked for {from} to {to}, the project's dates in {zone}: Mixpanel reads dates in the project's time zone (projects created before 2023) and refuses a day after its own today, so check the time zone and \"exports local time\" under Settings against Mixpanel's Project Settings > Overview")]
    DatesRejected {
        message: String,
        from: NaiveDate,
        to: NaiveDate,
        zone: String,
    },
    #[error("Mixpanel kept limiting requests (HTTP 429) after {attempts} attempts ({message}); the export API allows 60 queries an hour and 3 a second per project, so the schedule waits for room before the next pull")]
    RateLimited { attempts: u32, message: String },
    #[error("Mixpanel sent nothing for {}{}; a timed-out export is not retried, as each try costs one of the project's 60 queries an hour: pull again later or over fewer days", duration_words(*.waited_secs), if *.bytes > 0 { format!(" after the first {} bytes", .bytes) } else { " before the first byte".to_owned() })]
    TimedOut { waited_secs: u64, bytes: u64 },
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

/// "20 minutes", "90 s".
fn duration_words(secs: u64) -> String {
    if secs >= 120 {
        format!("{} minutes", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Why an attempt did not get a body, when another attempt may help.
enum Retryable {
    /// The status, its `Retry-After`, and Mixpanel's words (which limit a 429 hit).
    Status(StatusCode, Option<Duration>, String),
    Network(String),
}

/// Streams the export, calling `on_chunk` with each decoded piece as it arrives and `on_wait`
/// with a sentence while a retry is waited out (None once reading starts).
pub async fn stream_export(
    request: &ExportRequest<'_>,
    policy: RetryPolicy,
    patience: Patience,
    budget: &QueryBudget,
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
        // No read timeout here: the export may compute for many minutes before its first byte
        // (mixpanel-utils waits 20), so the waits are timed below, first byte and idle apart.
        .user_agent(concat!("verdict/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ExportError::Client(e.to_string()))?;
    let mut failed = 0;
    let mut response = loop {
        budget.record(std::time::Instant::now());
        let outcome = tokio::select! {
            biased;
            _ = cancelled(cancel) => return Err(ExportError::Cancelled),
            _ = tokio::time::sleep(patience.first_byte) => return Err(ExportError::TimedOut {
                waited_secs: patience.first_byte.as_secs().max(1),
                bytes: 0,
            }),
            r = attempt(&client, &url, request) => r?,
        };
        let retry = match outcome {
            Ok(response) => break response,
            Err(retry) => retry,
        };
        failed += 1;
        let retry_after = match &retry {
            Retryable::Status(_, after, _) => *after,
            Retryable::Network(_) => None,
        };
        if matches!(&retry, Retryable::Status(s, _, _) if *s == StatusCode::TOO_MANY_REQUESTS) {
            budget.limited(std::time::Instant::now(), retry_after);
        }
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
        // Headers can come before the export has computed anything: until the first byte of
        // the body, the first-byte patience applies; after it, a silence is a dead stream.
        let wait = if bytes == 0 {
            patience.first_byte
        } else {
            patience.idle
        };
        let chunk = tokio::select! {
            biased;
            _ = cancelled(cancel) => return Err(ExportError::Cancelled),
            _ = tokio::time::sleep(wait) => return Err(ExportError::TimedOut {
                waited_secs: wait.as_secs().max(1),
                bytes,
            }),
            c = response.chunk() => c.map_err(|e| ExportError::Broken { bytes, cause: cause_of(&e) })?,
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
    // A service account is `username:secret`; the legacy project secret is `secret:`.
    let (user, password) = match settings.auth {
        AuthMethod::ServiceAccount => (settings.username.as_str(), settings.secret.expose()),
        AuthMethod::ProjectSecret => (settings.secret.expose(), ""),
    };
    let mut query = vec![
        ("project_id", settings.project_id.to_string()),
        ("from_date", request.from.format("%Y-%m-%d").to_string()),
        ("to_date", request.to.format("%Y-%m-%d").to_string()),
    ];
    // No `event` parameter asks for every event (a retention metric on "any event" needs them).
    if !request.events.is_empty() {
        query.push(("event", events));
    }
    let sent = client
        .get(url)
        .query(&query)
        .basic_auth(user, Some(password))
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
        let after = retry_after(&response);
        return Ok(Err(Retryable::Status(
            status,
            after,
            message(response).await,
        )));
    }
    let code = status.as_u16();
    Err(match status {
        StatusCode::UNAUTHORIZED if settings.auth == AuthMethod::ProjectSecret => {
            ExportError::ProjectSecretRefused
        }
        StatusCode::UNAUTHORIZED => ExportError::Unauthorized,
        StatusCode::FORBIDDEN => ExportError::Forbidden {
            project_id: settings.project_id,
            message: message(response).await,
        },
        StatusCode::BAD_REQUEST => {
            let said = message(response).await;
            if said.to_ascii_lowercase().contains("date") {
                ExportError::DatesRejected {
                    message: said,
                    from: request.from,
                    to: request.to,
                    zone: request.zone.clone(),
                }
            } else {
                ExportError::BadRequest(said)
            }
        }
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

/// A body error in words, with its cause chain (hyper's "connection closed before message
/// completed", a gzip stream that ended early).
fn cause_of(error: &reqwest::Error) -> String {
    let mut words = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

fn describe(retry: &Retryable) -> String {
    match retry {
        Retryable::Status(s, _, said) if *s == StatusCode::TOO_MANY_REQUESTS => {
            format!("Mixpanel is limiting requests (HTTP 429: {said})")
        }
        Retryable::Status(s, _, _) => format!("Mixpanel failed (HTTP {})", s.as_u16()),
        Retryable::Network(_) => "Mixpanel could not be reached".into(),
    }
}

fn give_up(request: &ExportRequest<'_>, retry: Retryable, attempts: u32) -> ExportError {
    match retry {
        Retryable::Status(s, _, message) if s == StatusCode::TOO_MANY_REQUESTS => {
            ExportError::RateLimited { attempts, message }
        }
        Retryable::Status(s, _, _) => ExportError::ServerError {
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
