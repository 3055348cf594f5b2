//! The experiment page's lifecycle buttons as plain HTML forms: a move to the next stage (or
//! back to drafting), archiving, and proposing the next test idea work before the page's
//! script has loaded, and without it. Each form posts here and comes back to the page with its
//! outcome in the query string (`app::pages::experiment::notice::Notice`), which the page
//! shows where the buttons are. Once the script runs, the page sends the same moves through its server
//! functions instead and shows the outcome without a reload; both run the same gates
//! (`app::api::experiments::ssr`).
//!
//! The sign-off box's buttons post here too (`sign_off`), so a brief is signed off and launched
//! without the script. Closing with a verdict is not here: it is a form with a verdict, a summary
//! and a post-mortem that the page opens on request.

use app::api::experiments::ssr;
use app::auth::acting_as;
use app::domain::lifecycle::{Status, TransitionRequest};
use app::domain::signoff::SignOffRole;
use app::domain::url::encode;
use app::error::reasons;
use app::pages::experiment::notice::Notice;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

use crate::api_v1::extract::Editor;

/// The form's one field: the stage to move to, by its slug (`ready`, `running`, `proposed`).
#[derive(Deserialize)]
pub struct MoveForm {
    to: String,
}

/// The form's one field: `true` to archive, `false` to put back on the board.
#[derive(Deserialize)]
pub struct ArchiveForm {
    archived: bool,
}

/// The routes the page's forms post to.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/experiments/{key}/move", post(move_experiment))
        .route("/experiments/{key}/archive", post(archive_experiment))
        .route("/experiments/{key}/follow-up", post(propose_follow_up))
        .route("/experiments/{key}/sign-off", post(sign_off))
}

/// Back to the experiment page, with a notice when there is something to say.
fn back(key: &str, notice: Option<(Notice, Vec<String>)>) -> Response {
    let page = format!("/experiments/{}", encode(key));
    Redirect::to(&match notice {
        Some((notice, lines)) => format!("{page}?{}", notice.query(&lines)),
        None => page,
    })
    .into_response()
}

pub async fn move_experiment(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    Form(form): Form<MoveForm>,
) -> Response {
    // Done needs the closing form's verdict and summary: it is not a button's move.
    let to = match Status::from_slug(&form.to) {
        Some(to) if to != Status::Done => to,
        _ => {
            let shown: String = form.to.chars().take(40).collect();
            return back(
                &key,
                Some((
                    Notice::MoveRefused,
                    vec![format!(
                        "\"{shown}\" is not a stage a button moves to: use ready, running or proposed"
                    )],
                )),
            );
        }
    };
    let moved = acting_as(
        who,
        ssr::transition(
            &state.pool,
            &key,
            &TransitionRequest::to(to),
            chrono::Utc::now(),
        ),
    )
    .await;
    match moved {
        Ok((_, warnings)) if warnings.is_empty() => back(&key, None),
        Ok((_, warnings)) => back(&key, Some((Notice::MoveWarned, warnings))),
        Err(e) => back(&key, Some((Notice::MoveRefused, reasons(&e)))),
    }
}

pub async fn archive_experiment(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    Form(form): Form<ArchiveForm>,
) -> Response {
    let archived = acting_as(
        who,
        app::db::experiments::set_archived(&state.pool, &key, form.archived, chrono::Utc::now()),
    )
    .await;
    match archived {
        Ok(()) => back(&key, None),
        Err(e) => back(&key, Some((Notice::MoveRefused, reasons(&e)))),
    }
}

/// Proposes the done experiment's next test idea and opens the new proposal.
pub async fn propose_follow_up(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Response {
    let created = acting_as(
        who,
        ssr::propose_follow_up(&state.pool, &key, chrono::Utc::now()),
    )
    .await;
    match created {
        Ok(new) => back(&new.key.to_string(), None),
        Err(e) => back(&key, Some((Notice::FollowUpRefused, reasons(&e)))),
    }
}

/// A sign-off for the brief as the page showed it (`version`), or its withdrawal.
#[derive(Deserialize)]
pub struct SignOffForm {
    role: String,
    version: i64,
    #[serde(default)]
    withdraw: bool,
}

/// Signs the brief off (or withdraws a sign-off) in one role; a refusal (the brief changed
/// since the page was drawn, the experiment launched meanwhile) comes back as
/// `Notice::SignOffRefused`.
pub async fn sign_off(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    Form(form): Form<SignOffForm>,
) -> Response {
    let refused = |lines: Vec<String>| back(&key, Some((Notice::SignOffRefused, lines)));
    let Some(role) = SignOffRole::from_slug(&form.role) else {
        let shown: String = form.role.chars().take(40).collect();
        return refused(vec![format!(
            "\"{shown}\" is not a sign-off role: use product, engineering or design"
        )]);
    };
    let now = chrono::Utc::now();
    let done = if form.withdraw {
        acting_as(who, app::db::signoffs::withdraw(&state.pool, &key, role)).await
    } else {
        acting_as(
            who.clone(),
            app::db::signoffs::sign_off(&state.pool, &key, form.version, role, &who, now),
        )
        .await
        .map(|_| ())
    };
    match done {
        Ok(()) => back(&key, None),
        Err(e) => refused(reasons(&e)),
    }
}
