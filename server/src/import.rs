//! Uploading results from a file: a raw event export (newline-delimited JSON, plain or gzip) or a
//! CSV of aggregates. A plain HTML form posts here, so it works before (and without) the wasm.
//! The export is streamed through the attributor chunk by chunk: memory follows the users in it,
//! never the file's size. A failed import stores nothing and says why on the experiment page.

use std::io::Write;

use app::domain::attribution::{Attributor, MAX_SKIPPED_RATIO};
use app::domain::import::{attribution_config, counts_from_csv, counts_from_report};
use app::domain::results::{Counts, Source};
use app::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;

/// CSV aggregates are a few lines per arm and metric; anything bigger is not such a file.
const CSV_LIMIT: usize = 1 << 20;

/// Bounds on one upload, beyond the size limit `limits.rs` checks on the declared length.
#[derive(Debug, Clone, Copy)]
pub struct UploadBounds {
    /// Bytes received (compressed, as sent).
    pub max_bytes: u64,
    /// Bytes after gzip decoding.
    pub max_decoded_bytes: u64,
    /// Decoded bytes per compressed byte: real exports compress 10-30 times, a gzip bomb
    /// a thousand.
    pub max_expansion: u64,
    /// Distinct users one upload may name.
    pub max_users: usize,
}

impl UploadBounds {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            max_bytes,
            max_decoded_bytes: max_bytes.saturating_mul(16),
            max_expansion: 200,
            max_users: 20_000_000,
        }
    }
}

/// Longest value of a multipart text field (the format: `export` or `csv`).
const MAX_FIELD_BYTES: usize = 64;

/// Why an upload failed: too large (413), or anything else (back to the page with the reason).
enum Failure {
    TooLarge(String),
    Refused(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Refused(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Refused(message.to_owned())
    }
}

pub async fn import(
    State(state): State<AppState>,
    Extension(limits): Extension<crate::limits::Limits>,
    Path(key): Path<String>,
    multipart: Multipart,
) -> Response {
    let back = |query: String| {
        Redirect::to(&format!(
            "/experiments/{}?{query}#results",
            app::domain::url::encode(&key)
        ))
        .into_response()
    };
    let bounds = UploadBounds {
        max_users: limits.max_upload_users,
        ..UploadBounds::new(limits.max_upload_bytes)
    };
    match run(&state, &key, multipart, bounds).await {
        Ok(message) => back(format!("imported={}", app::domain::url::encode(&message))),
        Err(Failure::Refused(message)) => back(format!(
            "import_error={}",
            app::domain::url::encode(&message)
        )),
        Err(Failure::TooLarge(message)) => crate::auth::refuse(
            &format!("/experiments/{key}/import"),
            app::error::AppError::TooLarge(format!("{message}; nothing was stored")),
        ),
    }
}

async fn run(
    state: &AppState,
    key: &str,
    mut multipart: Multipart,
    bounds: UploadBounds,
) -> Result<String, Failure> {
    let exp = app::db::experiments::by_key(&state.pool, key)
        .await
        .map_err(|e| Failure::Refused(e.to_string()))?;
    if !exp.status.accepts_results() {
        return Err("results are imported for running or finished experiments".into());
    }
    let mut format = String::from("export");
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("upload failed: {e}"))?
    {
        match field.name() {
            Some("format") => {
                let mut text = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| format!("upload failed: {e}"))?
                {
                    text.extend_from_slice(&chunk);
                    if text.len() > MAX_FIELD_BYTES {
                        return Err(
                            "the format field is longer than 64 bytes: choose export or csv".into(),
                        );
                    }
                }
                format = String::from_utf8_lossy(&text).into_owned();
            }
            Some("file") => {
                let (counts, lines, skipped, source, note) = if format == "csv" {
                    let mut text = Vec::new();
                    while let Some(chunk) = field
                        .chunk()
                        .await
                        .map_err(|e| format!("upload failed: {e}"))?
                    {
                        text.extend_from_slice(&chunk);
                        if text.len() > CSV_LIMIT {
                            return Err("the CSV is larger than 1 MiB: is it an event export? Choose that format instead".into());
                        }
                    }
                    let text = String::from_utf8(text)
                        .map_err(|_| "the CSV is not UTF-8 text".to_string())?;
                    let counts = counts_from_csv(&exp.brief, &text).map_err(|errors| {
                        errors
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    })?;
                    (counts, 0, 0, Source::Csv, "CSV of aggregates".to_string())
                } else {
                    let run = exp.started_at.map(|s| {
                        (
                            s.date_naive(),
                            exp.ended_at.map_or_else(
                                || chrono::Utc::now().date_naive(),
                                |e| e.date_naive(),
                            ),
                        )
                    });
                    let config =
                        attribution_config(&exp.brief, key, run).map_err(|e| e.to_string())?;
                    let attributor = Attributor::new(config)
                        .map_err(|e| e.to_string())?
                        .with_user_limit(bounds.max_users);
                    let mut sink = ExportSink::new(attributor, bounds);
                    while let Some(chunk) =
                        field.chunk().await.map_err(|e| upload_failed(&e, bounds))?
                    {
                        sink.write(&chunk)?;
                    }
                    let (counts, lines, skipped, note) = sink.finish(&exp.brief, key)?;
                    (counts, lines, skipped, Source::File, note)
                };
                let problems = counts.validate(&exp.brief);
                if let Some(p) = problems.first() {
                    return Err(p.to_string().into());
                }
                app::db::results::insert(
                    &state.pool,
                    exp.id,
                    source,
                    &counts,
                    lines,
                    skipped,
                    chrono::Utc::now(),
                )
                .await
                .map_err(|e| Failure::Refused(e.to_string()))?;
                return Ok(format!("Imported the {note}."));
            }
            _ => {}
        }
    }
    Err("no file was uploaded".into())
}

/// A body that stopped because it passed the size limit reads as 413, not as a broken upload.
fn upload_failed(e: &axum::extract::multipart::MultipartError, bounds: UploadBounds) -> Failure {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Failure::TooLarge(format!(
            "the upload is larger than the limit of {}",
            crate::limits::human_bytes(bounds.max_bytes)
        ))
    } else {
        Failure::Refused(format!("upload failed: {e}"))
    }
}

/// Feeds an upload to the attributor, un-gzipping on the fly when the first bytes say gzip,
/// within `UploadBounds`.
struct ExportSink {
    /// Always Some between calls; taken only while switching state.
    state: Option<SinkState>,
    bounds: UploadBounds,
    /// Bytes received so far (compressed, as sent).
    received: u64,
}

enum SinkState {
    /// Nothing read yet: the first bytes decide plain or gzip.
    Start(Attributor),
    Plain(Attributor),
    Gzip(Box<flate2::write::GzDecoder<Feeder>>),
}

/// `Write` adapter: what the gzip decoder produces goes straight into the attributor, with the
/// decoded bytes counted (the sink checks them against the compressed size).
struct Feeder(Attributor, u64);

impl Write for Feeder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.feed_chunk(buf);
        self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ExportSink {
    fn new(a: Attributor, bounds: UploadBounds) -> Self {
        Self {
            state: Some(SinkState::Start(a)),
            bounds,
            received: 0,
        }
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        self.received += chunk.len() as u64;
        if self.received > self.bounds.max_bytes {
            return Err(Failure::TooLarge(format!(
                "the upload is larger than the limit of {}",
                crate::limits::human_bytes(self.bounds.max_bytes)
            )));
        }
        let mut state = match self.state.take() {
            Some(SinkState::Start(a)) if chunk.starts_with(&[0x1f, 0x8b]) => {
                SinkState::Gzip(Box::new(flate2::write::GzDecoder::new(Feeder(a, 0))))
            }
            Some(SinkState::Start(a)) => SinkState::Plain(a),
            Some(other) => other,
            None => return Err("the upload was interrupted".into()),
        };
        let result = match &mut state {
            SinkState::Plain(a) | SinkState::Start(a) => {
                a.feed_chunk(chunk);
                Ok(())
            }
            SinkState::Gzip(d) => d.write_all(chunk).map_err(|e| {
                Failure::Refused(format!(
                    "the file looks gzip-compressed but does not decompress: {e}"
                ))
            }),
        };
        let result = result.and_then(|()| self.within_bounds(&state));
        self.state = Some(state);
        result
    }

    /// The decoded size, the expansion ratio and the user count, checked as the data arrives
    /// so a bomb or a hostile file is stopped early instead of after exhausting memory.
    fn within_bounds(&self, state: &SinkState) -> Result<(), Failure> {
        let (attributor, decoded) = match state {
            SinkState::Start(a) | SinkState::Plain(a) => (a, None),
            SinkState::Gzip(d) => (&d.get_ref().0, Some(d.get_ref().1)),
        };
        if let Some(decoded) = decoded {
            if decoded > self.bounds.max_decoded_bytes {
                return Err(Failure::TooLarge(format!(
                    "the gzip file decompresses to more than {}",
                    crate::limits::human_bytes(self.bounds.max_decoded_bytes)
                )));
            }
            // A megabyte of slack: tiny files of repeated lines compress very well too.
            if decoded > (1 << 20) && decoded / self.received.max(1) > self.bounds.max_expansion {
                return Err(Failure::TooLarge(format!(
                    "the gzip file expands more than {} times (a real export expands 10 to 30 times): refused as a decompression bomb",
                    self.bounds.max_expansion
                )));
            }
        }
        if attributor.over_limit() {
            return Err(Failure::TooLarge(format!(
                "the file names more than {} distinct users, more than one upload may hold",
                self.bounds.max_users
            )));
        }
        Ok(())
    }

    fn finish(
        self,
        brief: &app::domain::brief::Brief,
        key: &str,
    ) -> Result<(Counts, u64, u64, String), Failure> {
        let a = match self.state {
            Some(SinkState::Start(a) | SinkState::Plain(a)) => a,
            Some(SinkState::Gzip(d)) => {
                d.finish()
                    .map_err(|e| format!("the gzip file is truncated or damaged: {e}"))?
                    .0
            }
            None => return Err("the upload was interrupted".into()),
        };
        let report = a.finish().map_err(|e| Failure::Refused(e.to_string()))?;
        report
            .check_skipped(MAX_SKIPPED_RATIO)
            .map_err(|e| e.to_string())?;
        let counts = counts_from_report(brief, key, &report).map_err(|e| e.to_string())?;
        let note = format!(
            "event export: {} lines, {} skipped, {} duplicates",
            report.lines, report.skipped.count, report.duplicates
        );
        Ok((counts, report.lines, report.skipped.count, note))
    }
}
