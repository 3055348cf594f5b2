//! Server functions for the backlog: board, experiment page, proposals, briefs and moves.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::board::{Board, BoardFilter, Cursors};
use crate::domain::brief::Brief;
use crate::domain::experiment::{Experiment, NewExperimentForm};
use crate::domain::experiment_list::{ListPage, ListParams};
use crate::domain::lifecycle::{Status, StatusChange, TransitionRequest};
use crate::error::AppError;

/// Everything the experiment page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentDetail {
    pub experiment: Experiment,
    pub history: Vec<StatusChange>,
    /// The brief's notes rendered from Markdown and sanitised on the server.
    pub notes_html: String,
    /// Other running experiments on the same surface.
    pub overlapping: Vec<String>,
    /// Running only: the decision rule's verdict on the latest results (pre-fills the close form).
    pub computed_verdict: Option<crate::domain::verdict::Verdict>,
}

/// The result of an allowed move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub key: String,
    pub status: Status,
    pub version: i64,
    pub warnings: Vec<String>,
}

#[server(output = JsonOut, input = Json, endpoint = "get_board")]
#[middleware(crate::auth::Gate::VIEWERS)]
/// `until`: per column how far "show more" went (omitted: the first page of each).
pub async fn get_board(filter: BoardFilter, until: Option<Cursors>) -> Result<Board, AppError> {
    crate::api::with_status(
        async move {
            use crate::db::experiments as db;
            use crate::domain::board::{Card, Column};
            use crate::domain::lifecycle::Status;
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let today = chrono::Utc::now().date_naive();
            let until = until.unwrap_or_default();
            // The menus first (they read through the pool), then every other query on one
            // connection: one wait for the pool instead of one per query, and never a second
            // connection wanted while this one is held.
            let (teams, owners, tags) = db::facets(&pool).await?;
            let mut conn = pool.acquire().await?;
            let counts = db::column_counts(&mut conn, &filter).await?;
            // As the board opens, every column's first page in one read; after "show more",
            // column by column down to each cursor.
            let mut first = if until.iter().all(Option::is_none) {
                db::first_pages(&mut conn, &filter).await?
            } else {
                Vec::new()
            }
            .into_iter();
            let mut columns = Vec::with_capacity(Status::ALL.len());
            for ((status, until), count) in Status::ALL.iter().zip(&until).zip(counts) {
                let (experiments, more) = match first.next() {
                    Some(page) => page,
                    None => db::column(&mut conn, &filter, *status, until.as_ref()).await?,
                };
                columns.push(Column {
                    cards: experiments
                        .iter()
                        .map(|e| Card::from_experiment(e, today))
                        .collect(),
                    count,
                    more,
                });
            }
            Ok(Board {
                columns,
                teams,
                owners,
                tags,
                total: db::count(&mut *conn).await?,
                can_move: who.identity().can(crate::domain::account::Role::Editor),
            })
        }
        .await,
    )
}

/// One page of the list view; the rows are filtered, sorted and paged on the server.
#[server(output = JsonOut, input = Json, endpoint = "list_experiments")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn list_experiments(params: ListParams) -> Result<ListPage, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let today = chrono::Utc::now().date_naive();
            let rows = crate::db::list_rows::matching(&pool, &params.filter(), today).await?;
            let rows = crate::domain::experiment_list::select(rows, &params);
            Ok(ListPage::of(rows, params.page))
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "get_experiment")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_experiment(key: String) -> Result<ExperimentDetail, AppError> {
    crate::api::with_status(
        async move {
            use crate::db::experiments as db;
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let experiment = db::by_key(&pool, &key).await?;
            let history = db::history(&pool, experiment.id).await?;
            let overlapping =
                db::running_on_surface(&pool, &experiment.surface, experiment.id).await?;
            let notes_html = super::markdown::render(&experiment.brief.notes);
            let computed_verdict = if experiment.status == crate::domain::lifecycle::Status::Running
            {
                crate::api::results::ssr::computed_verdict(
                    &pool,
                    &experiment,
                    chrono::Utc::now().date_naive(),
                )
                .await?
            } else {
                None
            };
            Ok(ExperimentDetail {
                experiment,
                history,
                notes_html,
                overlapping,
                computed_verdict,
            })
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "create_experiment")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn create_experiment(form: NewExperimentForm) -> Result<String, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let exp = ssr::create(&pool, &form, chrono::Utc::now()).await?;
            Ok(exp.key.to_string())
        }
        .await,
    )
}

/// Saves the brief edited from `version`; a stale version is a conflict, never an overwrite.
#[server(output = JsonOut, input = Json, endpoint = "save_brief")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn save_brief(key: String, version: i64, brief: Brief) -> Result<i64, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            ssr::save_brief(&pool, &key, version, &brief, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "transition_experiment")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn transition_experiment(
    key: String,
    request: TransitionRequest,
) -> Result<Moved, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let (moved, warnings) =
                ssr::transition(&pool, &key, &request, chrono::Utc::now()).await?;
            Ok(Moved {
                key: moved.key.to_string(),
                status: moved.status,
                version: moved.version,
                warnings,
            })
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "archive_experiment")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn archive_experiment(key: String, archived: bool) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            crate::db::experiments::set_archived(&pool, &key, archived, chrono::Utc::now()).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "load_demo")]
#[middleware(crate::auth::Gate::ADMINS)]
pub async fn load_demo() -> Result<usize, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Admin::check()?;
            let pool = crate::state::pool(&who)?;
            crate::demo::load(&pool, chrono::Utc::now()).await
        }
        .await,
    )
}

/// Turns a done experiment's "next test idea" into a proposal linked to it; returns its key.
#[server(output = JsonOut, input = Json, endpoint = "propose_follow_up")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn propose_follow_up(key: String) -> Result<String, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            let created = ssr::propose_follow_up(&pool, &key, chrono::Utc::now()).await?;
            Ok(created.key.to_string())
        }
        .await,
    )
}

/// The server-side steps behind the server functions, shared with the REST API
/// (`server/src/api_v1`), so both run the same parsing, checks and gates.
#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{DateTime, Utc};
    use sqlx::SqlitePool;

    use crate::db::experiments as db;
    use crate::domain::brief::{Brief, Hypothesis};
    use crate::domain::experiment::{Experiment, NewExperiment, NewExperimentForm};
    use crate::domain::lifecycle::{plan_transition, ProgramContext, Status, TransitionRequest};
    use crate::error::AppError;

    /// Notes are free Markdown; the cap keeps one brief from bloating every board load.
    pub const MAX_NOTES_BYTES: usize = 20_000;

    /// Parses a proposal and stores it with a brief holding only the hypothesis draft.
    pub async fn create(
        pool: &SqlitePool,
        form: &NewExperimentForm,
        now: DateTime<Utc>,
    ) -> Result<Experiment, AppError> {
        let new = NewExperiment::parse(form).map_err(AppError::Invalid)?;
        let brief = Brief {
            hypothesis: Hypothesis {
                draft: new.hypothesis().to_owned(),
                ..Default::default()
            },
            ..Default::default()
        };
        db::insert(pool, &new, &brief, now).await
    }

    /// Saves the brief edited from `version`; returns the new version.
    pub async fn save_brief(
        pool: &SqlitePool,
        key: &str,
        version: i64,
        brief: &Brief,
        now: DateTime<Utc>,
    ) -> Result<i64, AppError> {
        if brief.notes.len() > MAX_NOTES_BYTES {
            return Err(AppError::invalid(
                "notes",
                "notes are limited to 20,000 characters",
            ));
        }
        db::save_brief(pool, key, version, brief, now).await
    }

    /// A proposal made from a done experiment's next test idea, under the suggested key made
    /// unique with a suffix if a proposal already took it.
    pub async fn propose_follow_up(
        pool: &SqlitePool,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Experiment, AppError> {
        let done = db::by_key(pool, key).await?;
        let mut form = done.follow_up().map_err(|e| AppError::Invalid(vec![e]))?;
        let base = form.key.clone();
        let mut n = 2;
        while db::by_key(pool, &form.key).await.is_ok() {
            form.key = format!("{base}_{n}");
            n += 1;
        }
        create(pool, &form, now).await
    }

    /// Checks the gate for the move and applies it; returns the moved experiment and the
    /// warnings the gate raised (they do not refuse the move).
    pub async fn transition(
        pool: &SqlitePool,
        key: &str,
        request: &TransitionRequest,
        now: DateTime<Utc>,
    ) -> Result<(Experiment, Vec<String>), AppError> {
        let exp = db::by_key(pool, key).await?;
        let computed_verdict = if request.target() == Status::Done {
            crate::api::results::ssr::computed_verdict(pool, &exp, now.date_naive()).await?
        } else {
            None
        };
        let ctx = ProgramContext {
            running_on_surface: db::running_on_surface(pool, &exp.surface, exp.id).await?,
            computed_verdict,
            sign_offs: crate::db::signoffs::gate(pool, exp.id).await?,
        };
        let plan = plan_transition(&exp, request, now, &ctx)?;
        let moved = db::apply_transition(pool, &exp, &plan, now).await?;
        Ok((moved, plan.into_warnings()))
    }
}
