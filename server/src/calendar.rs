//! `GET /calendar.ics?team=…`: an iCalendar feed of launches and planned end dates that people
//! subscribe to from their calendar app, optionally for one team. Built with the `icalendar`
//! crate (RFC 5545 folding, escaping and CRLF line endings are easy to get subtly wrong by hand).
//!
//! Calendar apps cannot sign in, so subscriptions use `/calendar/<secret>.ics`: one unguessable
//! URL per team (the dashboard and the review page show it); `/calendar.ics` itself needs a
//! session or a bearer token like every other route.

use app::domain::board::BoardFilter;
use app::domain::experiment::Experiment;
use app::domain::lifecycle::Status;
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use icalendar::{Calendar, Component, Event, EventLike};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FeedQuery {
    pub team: String,
}

pub async fn feed(
    State(state): State<AppState>,
    Query(query): Query<FeedQuery>,
    headers: HeaderMap,
) -> Response {
    render(&state, &query.team, &headers).await
}

/// `GET /calendar/<secret>.ics`: the feed of the team the secret was made for; an unknown
/// secret is a plain 404 that says nothing about which secrets exist.
pub async fn secret_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let secret = file.strip_suffix(".ics").unwrap_or("");
    match app::db::calendar_feeds::team_for_secret(&state.pool, secret).await {
        Ok(Some(team)) => render(&state, &team, &headers).await,
        Ok(None) => (StatusCode::NOT_FOUND, "no such calendar feed").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn render(state: &AppState, team: &str, headers: &HeaderMap) -> Response {
    let filter = BoardFilter {
        team: team.trim().to_owned(),
        ..Default::default()
    };
    let experiments = match app::db::experiments::list(&state.pool, &filter).await {
        Ok(list) => list,
        Err(e) => return e.into_response(),
    };
    let name = if filter.team.is_empty() {
        "Verdict: launches and end dates".to_owned()
    } else {
        format!("Verdict: {} launches and end dates", filter.team)
    };
    let body = calendar(&experiments, &base_url(headers), &name).to_string();
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"verdict.ics\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// Links in the feed must be absolute: a calendar app has no page to resolve them against.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// One all-day event per launch (actual for running and finished tests, planned for ready ones)
/// and per planned end date of a test not yet finished. UIDs are stable (`<key>-launch`,
/// `<key>-end`), so a moved date updates the event instead of duplicating it.
pub fn calendar(experiments: &[Experiment], base: &str, name: &str) -> Calendar {
    let mut cal = Calendar::new();
    cal.name(name)
        .description("Experiment launches and planned end dates from Verdict")
        .ttl(&chrono::Duration::hours(1));
    for e in experiments {
        let url = format!("{base}/experiments/{}", e.key);
        let describe = |what: &str| {
            format!(
                "{what}\n{}\nTeam {}, owner {}.\n{url}",
                e.brief.hypothesis_sentence(),
                e.team,
                e.owner
            )
        };
        let launch = match e.status {
            Status::Running | Status::Done => e.started_at.map(|t| (t.date_naive(), "Launched")),
            Status::Ready => e.brief.planned_start.map(|d| (d, "Planned launch")),
            Status::Proposed => None,
        };
        if let Some((day, label)) = launch {
            cal.push(day_event(
                e,
                "launch",
                day,
                &format!("{label}: {}", e.title),
                &describe(label),
                &url,
            ));
        }
        if matches!(e.status, Status::Ready | Status::Running) {
            if let Some(end) = e.brief.planned_end {
                let what = "Planned end: the decision is due";
                cal.push(day_event(
                    e,
                    "end",
                    end,
                    &format!("Ends: {}", e.title),
                    &describe(what),
                    &url,
                ));
            }
        }
    }
    cal.done()
}

fn day_event(
    e: &Experiment,
    kind: &str,
    day: NaiveDate,
    summary: &str,
    description: &str,
    url: &str,
) -> Event {
    Event::new()
        .uid(&format!("{}-{kind}@verdict", e.key))
        .summary(summary)
        .description(description)
        .url(url)
        // DTEND is exclusive in RFC 5545: a one-day event ends the next day.
        .starts(day)
        .ends(day + Days::new(1))
        .timestamp(e.updated_at)
        .add_property("CATEGORIES", &e.team)
        .done()
}
