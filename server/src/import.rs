//! Uploading results from a file: a raw event export (newline-delimited JSON, plain or gzip) or a
//! CSV of aggregates. A plain HTML form posts here, so it works before (and without) the wasm.
//! The export is streamed through the attributor chunk by chunk: memory follows the users in it,
//! never the file's size. A failed import stores nothing and says why on the experiment page.

use std::io::Write;

use app::domain::attribution::{Attributor, MAX_SKIPPED_RATIO};
use app::domain::import::{attribution_config, counts_from_csv, counts_from_report};
use app::domain::lifecycle::Status;
use app::domain::results::{Counts, Source};
use app::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::response::Redirect;

/// CSV aggregates are a few lines per arm and metric; anything bigger is not such a file.
const CSV_LIMIT: usize = 1 << 20;

pub async fn import(
    State(state): State<AppState>,
    Path(key): Path<String>,
    multipart: Multipart,
) -> Redirect {
    let back = |query: String| Redirect::to(&format!("/experiments/{key}?{query}#results"));
    match run(&state, &key, multipart).await {
        Ok(message) => back(format!("imported={}", encode(&message))),
        Err(message) => back(format!("import_error={}", encode(&message))),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn run(state: &AppState, key: &str, mut multipart: Multipart) -> Result<String, String> {
    let exp = app::db::experiments::by_key(&state.pool, key)
        .await
        .map_err(|e| e.to_string())?;
    if !matches!(exp.status, Status::Running | Status::Done) {
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
                format = field
                    .text()
                    .await
                    .map_err(|e| format!("upload failed: {e}"))?
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
                    let config = attribution_config(&exp.brief, key, run)?;
                    let mut sink =
                        ExportSink::new(Attributor::new(config).map_err(|e| e.to_string())?);
                    while let Some(chunk) = field
                        .chunk()
                        .await
                        .map_err(|e| format!("upload failed: {e}"))?
                    {
                        sink.write(&chunk)?;
                    }
                    let (counts, lines, skipped, note) = sink.finish(&exp.brief, key)?;
                    (counts, lines, skipped, Source::File, note)
                };
                let problems = counts.validate(&exp.brief);
                if let Some(p) = problems.first() {
                    return Err(p.to_string());
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
                .map_err(|e| e.to_string())?;
                return Ok(format!("Imported the {note}."));
            }
            _ => {}
        }
    }
    Err("no file was uploaded".into())
}

/// Feeds an upload to the attributor, un-gzipping on the fly when the first bytes say gzip.
struct ExportSink {
    /// Always Some between calls; taken only while switching state.
    state: Option<SinkState>,
}

enum SinkState {
    /// Nothing read yet: the first bytes decide plain or gzip.
    Start(Attributor),
    Plain(Attributor),
    Gzip(Box<flate2::write::GzDecoder<Feeder>>),
}

/// `Write` adapter: what the gzip decoder produces goes straight into the attributor.
struct Feeder(Attributor);

impl Write for Feeder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.feed_chunk(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ExportSink {
    fn new(a: Attributor) -> Self {
        Self {
            state: Some(SinkState::Start(a)),
        }
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        let mut state = match self.state.take() {
            Some(SinkState::Start(a)) if chunk.starts_with(&[0x1f, 0x8b]) => {
                SinkState::Gzip(Box::new(flate2::write::GzDecoder::new(Feeder(a))))
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
                format!("the file looks gzip-compressed but does not decompress: {e}")
            }),
        };
        self.state = Some(state);
        result
    }

    fn finish(
        self,
        brief: &app::domain::brief::Brief,
        key: &str,
    ) -> Result<(Counts, u64, u64, String), String> {
        let a = match self.state {
            Some(SinkState::Start(a) | SinkState::Plain(a)) => a,
            Some(SinkState::Gzip(d)) => {
                d.finish()
                    .map_err(|e| format!("the gzip file is truncated or damaged: {e}"))?
                    .0
            }
            None => return Err("the upload was interrupted".into()),
        };
        let report = a.finish().map_err(|e| e.to_string())?;
        report
            .check_skipped(MAX_SKIPPED_RATIO)
            .map_err(|e| e.to_string())?;
        let counts = counts_from_report(brief, key, &report)?;
        let note = format!(
            "event export: {} lines, {} skipped, {} duplicates",
            report.lines, report.skipped.count, report.duplicates
        );
        Ok((counts, report.lines, report.skipped.count, note))
    }
}
