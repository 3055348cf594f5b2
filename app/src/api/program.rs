//! Server functions for the program dashboard and the lists behind its numbers.

use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::lifecycle::Status;
use crate::domain::program::report::Report;
use crate::domain::program::ProgramQuery;
use crate::error::AppError;

/// The dashboard: the report plus what the filter menus offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramView {
    pub report: Report,
    pub teams: Vec<String>,
    pub surfaces: Vec<String>,
    pub tags: Vec<String>,
    /// Experiments in the whole program, to tell "empty program" from "nothing matches".
    pub total: u64,
}

/// One experiment behind a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRow {
    pub key: String,
    pub title: String,
    pub team: String,
    pub surface: String,
    pub status: Status,
    pub verdict: Option<String>,
    pub started: Option<NaiveDate>,
    pub ended: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortList {
    pub heading: String,
    pub rows: Vec<CohortRow>,
}

#[server(output = JsonOut, input = Json, endpoint = "get_program")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_program(query: ProgramQuery) -> Result<ProgramView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            ssr::program_view(&pool, &query, chrono::Utc::now().date_naive()).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "list_cohort")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn list_cohort(query: ProgramQuery, cohort: String) -> Result<CohortList, AppError> {
    crate::api::with_status(
        async move {
            use crate::domain::program::cohort::Cohort;
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let cohort = Cohort::parse(&cohort).ok_or_else(|| {
                AppError::invalid(
                    "cohort",
                    format!("'{cohort}' names no number on the dashboard"),
                )
            })?;
            let (report, entries) =
                ssr::report(&pool, &query, chrono::Utc::now().date_naive(), true).await?;
            let wanted: std::collections::HashSet<String> =
                report.keys(&cohort).into_iter().collect();
            let rows = entries
                .iter()
                .filter(|e| wanted.contains(&*e.key))
                .map(|e| CohortRow {
                    verdict: e.conclusion.as_ref().map(|c| c.verdict.describe()),
                    key: e.key.to_string(),
                    title: e.title.clone(),
                    team: e.team.clone(),
                    surface: e.surface.clone(),
                    status: e.status,
                    started: e.started,
                    ended: e.ended,
                })
                .collect();
            Ok(CohortList {
                heading: cohort.describe(),
                rows,
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::domain::program::{Entry, ProgramFilter};

    /// The report and the entries it was computed from (all of them, unfiltered); with the
    /// keys behind each number when `keys` (a cohort's list), without for the dashboard.
    pub async fn report(
        pool: &sqlx::SqlitePool,
        query: &ProgramQuery,
        today: NaiveDate,
        keys: bool,
    ) -> Result<(Report, std::sync::Arc<Vec<std::sync::Arc<Entry>>>), AppError> {
        use crate::domain::program::report;
        let filter = ProgramFilter::parse(query).map_err(AppError::Invalid)?;
        let entries = crate::db::program_entries::entries(pool).await?;
        let report = if keys {
            report::report(&entries, &filter, today)
        } else {
            report::numbers(&entries, &filter, today)
        };
        Ok((report, entries))
    }

    /// Everything the dashboard page shows (also timed by the benchmark).
    pub async fn program_view(
        pool: &sqlx::SqlitePool,
        query: &ProgramQuery,
        today: NaiveDate,
    ) -> Result<ProgramView, AppError> {
        let (report, entries) = report(pool, query, today, false).await?;
        // Distinct names by reference first: cloning every experiment's team to sort and
        // dedup cost more than the report itself at 10,000 experiments.
        let sorted = |names: std::collections::BTreeSet<&str>| {
            names
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        Ok(ProgramView {
            teams: sorted(entries.iter().map(|e| e.team.as_str()).collect()),
            surfaces: sorted(entries.iter().map(|e| e.surface.as_str()).collect()),
            tags: sorted(
                entries
                    .iter()
                    .flat_map(|e| e.tags.iter().map(String::as_str))
                    .collect(),
            ),
            total: entries.len() as u64,
            report,
        })
    }
}

/// The secret calendar feed URL (a path) for a team, or for every team with an empty name, if
/// an editor created one. Anyone who may read the program may subscribe; the URL works without
/// signing in. A pure read: it never creates the feed (`create_calendar_feed` does).
#[server(output = JsonOut, input = Json, endpoint = "calendar_feed_url")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn calendar_feed_url(team: String) -> Result<Option<String>, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let secret = crate::db::calendar_feeds::secret_for_team(&pool, &team).await?;
            Ok(secret.map(|s| format!("/calendar/{s}.ics")))
        }
        .await,
    )
}

/// Creates a team's secret calendar feed, or with `rotate` replaces its secret (every existing
/// subscription stops working). Returns the new URL (a path).
#[server(output = JsonOut, endpoint = "create_calendar_feed")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn create_calendar_feed(team: String, rotate: bool) -> Result<String, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            if team.chars().count() > 200 {
                return Err(AppError::invalid(
                    "team",
                    "a team name is at most 200 characters",
                ));
            }
            // Called from a page's button, possibly outside the request's `acting_as` scope:
            // act as the caller explicitly, for the audit log.
            let secret = crate::auth::acting_as(
                who.into_identity(),
                crate::db::calendar_feeds::create_feed(&pool, &team, rotate),
            )
            .await?;
            Ok(format!("/calendar/{secret}.ics"))
        }
        .await,
    )
}
