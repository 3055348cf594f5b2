//! One Mixpanel project as the Raw Event Export API serves it, for the fake on 127.0.0.1.
//!
//! What it checks and does, as the real API does (Mixpanel's export docs, mixpanel-utils and
//! Airbyte's connector): basic auth with a service account (`user:secret` plus `project_id`) or
//! the legacy project secret (`secret:`), 401 / 403 with Mixpanel's JSON bodies; `from_date` /
//! `to_date` as `yyyy-mm-dd`, read in the project's zone for a local-time project, and a 400
//! "to_date cannot be later than today" after the project's today; only the `event=` events of
//! those days; `time` shifted to local wall-clock time for a local-time project; and the ways a
//! 200 still goes wrong (a `terminated early` last line, a connection dropped mid-body, a gzip
//! stream cut short, minutes before the first byte).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::fake::Seen;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    ServiceAccount { user: String, secret: String },
    ProjectSecret(String),
}

/// How a 200 export ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Complete,
    /// The body ends with Mixpanel's plain-text line `terminated early`.
    TerminatedEarly,
    /// The connection closes halfway through the body.
    Dropped,
    /// The gzip stream stops before its end (when the body is gzipped).
    GzipCut,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub credentials: Credentials,
    /// The project's events in true UTC, as NDJSON lines.
    pub events: Vec<u8>,
    /// Some for a project created before 2023: dates read and `time` written in this zone.
    pub local_zone: Option<Tz>,
    pub ending: Ending,
    pub first_byte_delay: Duration,
}

pub enum Answer {
    Refuse { code: u16, body: String },
    Export { body: Vec<u8>, ending: Ending },
}

fn refuse(code: u16, error: &str) -> Answer {
    let body = serde_json::json!({"request": "/api/2.0/export", "error": error}).to_string();
    Answer::Refuse { code, body }
}

impl Project {
    pub fn new(events: Vec<u8>) -> Self {
        Self {
            id: 4242,
            credentials: Credentials::ServiceAccount {
                user: "sa-user".into(),
                secret: "sa-secret".into(),
            },
            events,
            local_zone: None,
            ending: Ending::Complete,
            first_byte_delay: Duration::ZERO,
        }
    }

    fn zone(&self) -> Tz {
        self.local_zone.unwrap_or(Tz::UTC)
    }

    /// The project's today, which `to_date` may not pass.
    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.zone()).date_naive()
    }

    pub fn answer(&self, seen: &Seen) -> Answer {
        let query = seen.target.split_once('?').map_or("", |(_, q)| q);
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let (user, password) = match &self.credentials {
            Credentials::ServiceAccount { user, secret } => (user.as_str(), secret.as_str()),
            Credentials::ProjectSecret(secret) => (secret.as_str(), ""),
        };
        let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        if seen.header("authorization") != Some(expected.as_str()) {
            return Answer::Refuse {
                code: 401,
                body: r#"{"code": 401, "error": "Invalid credentials", "status": "Unauthorized"}"#
                    .into(),
            };
        }
        if matches!(self.credentials, Credentials::ServiceAccount { .. }) {
            match param("project_id").map(str::parse::<i64>) {
                None => {
                    return refuse(
                        400,
                        "project_id is required when authenticating with a service account",
                    )
                }
                Some(Ok(id)) if id == self.id => {}
                Some(_) => return refuse(403, "You do not have permission to view this project"),
            }
        }
        let date = |name: &str| {
            param(name).and_then(|d| {
                (d.len() == 10)
                    .then(|| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .flatten()
            })
        };
        let (Some(from), Some(to)) = (date("from_date"), date("to_date")) else {
            return refuse(
                400,
                "from_date and to_date must be dates in yyyy-mm-dd format",
            );
        };
        if to > self.today() {
            return refuse(400, "to_date cannot be later than today");
        }
        if from > to {
            return refuse(400, "from_date cannot be later than to_date");
        }
        let wanted: Option<Vec<String>> = param("event").and_then(|e| serde_json::from_str(e).ok());
        let mut body = Vec::new();
        for line in self.events.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            if let Some(line) = self.exported(line, from, to, wanted.as_deref()) {
                body.extend_from_slice(&line);
                body.push(b'\n');
            }
        }
        if self.ending == Ending::TerminatedEarly {
            body.extend_from_slice(b"terminated early\n");
        }
        Answer::Export {
            body,
            ending: self.ending,
        }
    }

    /// The line as exported, if it is one of the asked-for events on the asked-for days.
    fn exported(
        &self,
        line: &[u8],
        from: NaiveDate,
        to: NaiveDate,
        wanted: Option<&[String]>,
    ) -> Option<Vec<u8>> {
        let mut event: serde_json::Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            // Broken lines are exported as they were ingested, on no particular day.
            Err(_) => return Some(line.to_vec()),
        };
        let name = event["event"].as_str().unwrap_or_default();
        if wanted.is_some_and(|w| !w.iter().any(|n| n == name)) {
            return None;
        }
        let Some(time) = event["properties"]["time"].as_i64() else {
            return Some(line.to_vec());
        };
        let at = DateTime::from_timestamp(time, 0)?.with_timezone(&self.zone());
        if at.date_naive() < from || at.date_naive() > to {
            return None;
        }
        if self.local_zone.is_none() {
            return Some(line.to_vec());
        }
        if let Some(zone) = self.local_zone {
            let offset = zone
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc();
            event["properties"]["time"] = (time + i64::from(offset)).into();
        }
        Some(serde_json::to_vec(&event).expect("a JSON value serializes"))
    }
}

/// Standard base64 with padding, for the expected `Authorization` header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_the_rfc_examples() {
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fooba"), "Zm9vYmE=");
    assert_eq!(base64(b"foob"), "Zm9vYg==");
    assert_eq!(base64(b"sa-user:sa-secret"), "c2EtdXNlcjpzYS1zZWNyZXQ=");
}
