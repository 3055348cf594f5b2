//! Server functions for the weekly review: the agenda, the meeting record, and triage outcomes
//! applied to the backlog.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::period::IsoWeek;
use crate::domain::review::record::{ReviewForm, ReviewRecord, ReviewSummary, TriageRequest};
use crate::domain::review::Agenda;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub week: IsoWeek,
    pub this_week: IsoWeek,
    /// This week's (or a future week's) live agenda; None for a past week, which shows its record.
    pub agenda: Option<Agenda>,
    pub record: Option<ReviewRecord>,
    /// A past review's saved agenda, rendered from its Markdown and sanitised on the server.
    pub record_html: Option<String>,
    pub past: Vec<ReviewSummary>,
    /// Rows of the long sections the page left out (see [`SECTION_ROWS`]).
    #[serde(default)]
    pub hidden: Hidden,
    /// Whether the caller may triage and record the meeting (an editor or admin): a viewer
    /// reads the review without controls the server would refuse.
    #[serde(default)]
    pub can_edit: bool,
}

/// A long section shows this many rows until someone asks for all of them: at 10,000
/// experiments the triage queue held 800 proposals, a 1.1 MB page that took 70 ms to render
/// after every write. The meeting works from the top (the oldest proposals, the tests ending
/// soonest); decisions due and overdue tests are always shown whole.
pub const SECTION_ROWS: usize = 50;

/// How many rows of each long section were left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    pub running: usize,
    pub proposals: usize,
}

impl ReviewView {
    /// The page's cut: the first [`SECTION_ROWS`] of the running tests and of the proposals.
    pub fn capped(mut self) -> Self {
        if let Some(agenda) = self.agenda.as_mut() {
            self.hidden = Hidden {
                running: agenda.running.len().saturating_sub(SECTION_ROWS),
                proposals: agenda.proposals.len().saturating_sub(SECTION_ROWS),
            };
            agenda.running.truncate(SECTION_ROWS);
            agenda.proposals.truncate(SECTION_ROWS);
        }
        self
    }
}

#[server(output = JsonOut, input = Json, endpoint = "get_review")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_review(
    week: String,
    #[server(default)] all: bool,
) -> Result<ReviewView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let today = chrono::Utc::now().date_naive();
            let mut view = ssr::review_view(&pool, ssr::parse_week(&week, today)?, today).await?;
            view.can_edit = who.identity().can(crate::domain::account::Role::Editor);
            Ok(if all { view } else { view.capped() })
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "save_review")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn save_review(week: String, form: ReviewForm) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let now = chrono::Utc::now();
            let week = ssr::open_week(&week, now.date_naive())?;
            let meeting = form.parse().map_err(AppError::Invalid)?;
            let view = ssr::review_view(&pool, week, now.date_naive()).await?;
            let agenda = view
                .agenda
                .as_ref()
                .map(crate::domain::review::markdown::agenda_markdown)
                .unwrap_or_default();
            crate::db::reviews::save(&pool, week, &meeting, &agenda, now).await
        }
        .await,
    )
}

/// Applies a triage outcome to a proposal and records it in the week's review. Returns what
/// happened, in words, with any warnings.
#[server(output = JsonOut, input = Json, endpoint = "triage_proposal")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn triage_proposal(week: String, request: TriageRequest) -> Result<String, AppError> {
    crate::api::with_status(
        async move {
            use crate::domain::lifecycle::{
                plan_transition, ProgramContext, Status, TransitionRequest,
            };
            use crate::domain::review::record::TriageOutcome;
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let now = chrono::Utc::now();
            let week = ssr::open_week(&week, now.date_naive())?;
            let request = request.parse().map_err(|e| AppError::Invalid(vec![e]))?;
            let exp = crate::db::experiments::by_key(&pool, &request.key).await?;
            if exp.status != Status::Proposed || exp.archived {
                return Err(AppError::Conflict(format!(
                    "{} is no longer waiting for triage (it is {}{})",
                    exp.key,
                    exp.status.label().to_ascii_lowercase(),
                    if exp.archived { ", archived" } else { "" }
                )));
            }
            if request.outcome == TriageOutcome::Promote {
                // The real gate: a promotion with an incomplete brief is refused with every reason.
                let move_request = TransitionRequest::Move {
                    to: Status::Ready,
                    note: format!("promoted in the {week} review"),
                };
                let plan = plan_transition(&exp, &move_request, now, &ProgramContext::default())?;
                crate::db::experiments::apply_transition(&pool, &exp, &plan, now).await?;
            }
            crate::db::reviews::record(&pool, week, &exp, request.outcome, &request.reason, now)
                .await?;
            Ok(format!(
                "{}: {}",
                exp.key,
                request.outcome.done_label().to_ascii_lowercase()
            ))
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{Duration, NaiveDate};

    use super::*;

    /// An empty week means this week.
    pub fn parse_week(raw: &str, today: NaiveDate) -> Result<IsoWeek, AppError> {
        if raw.trim().is_empty() {
            return Ok(IsoWeek::of(today));
        }
        IsoWeek::parse(raw).map_err(|e| AppError::invalid("week", e.to_string()))
    }

    /// A week whose meeting can still be recorded: this week or later.
    pub fn open_week(raw: &str, today: NaiveDate) -> Result<IsoWeek, AppError> {
        let week = parse_week(raw, today)?;
        if week < IsoWeek::of(today) {
            return Err(AppError::invalid(
                "week",
                format!("the {week} review is a record now; record this week's meeting instead"),
            ));
        }
        Ok(week)
    }

    /// Everything the review page shows (also timed by the benchmark).
    pub async fn review_view(
        pool: &sqlx::SqlitePool,
        week: IsoWeek,
        today: NaiveDate,
    ) -> Result<ReviewView, AppError> {
        let this_week = IsoWeek::of(today);
        let record = crate::db::reviews::by_week(pool, week).await?;
        let past = crate::db::reviews::list(pool, 52).await?;
        let agenda = if week >= this_week {
            // Without an earlier review, "since the last review" means the week before this one.
            let since = crate::db::reviews::previous_at(pool, week)
                .await?
                .unwrap_or_else(|| {
                    (week.monday() - Duration::days(7))
                        .and_time(chrono::NaiveTime::MIN)
                        .and_utc()
                });
            let candidates = crate::db::review_candidates::for_review(pool, since).await?;
            let parked = crate::db::reviews::parked(pool).await?;
            Some(crate::domain::review::agenda(
                week,
                today,
                since,
                &candidates,
                &parked,
            ))
        } else {
            None
        };
        let record_html = record
            .as_ref()
            .filter(|_| agenda.is_none())
            .map(|r| crate::api::markdown::render(&r.agenda_markdown));
        Ok(ReviewView {
            week,
            this_week,
            agenda,
            record,
            record_html,
            past,
            hidden: Hidden::default(),
            can_edit: false,
        })
    }

    /// The review as Markdown, for the `/review.md` export.
    pub async fn markdown(
        pool: &sqlx::SqlitePool,
        week: IsoWeek,
        today: NaiveDate,
    ) -> Result<String, AppError> {
        let view = review_view(pool, week, today).await?;
        Ok(crate::domain::review::markdown::review_markdown(
            &week.to_string(),
            view.agenda.as_ref(),
            view.record.as_ref(),
        ))
    }
}
