//! The backlog over REST: list with the board's filters, propose, read, edit the brief (carrying
//! the version it edits), and move through the lifecycle with the UI's gates and messages.

use app::api::experiments::ssr;
use app::auth::acting_as;
use app::domain::board::BoardFilter;
use app::domain::brief::Brief;
use app::domain::experiment::{Experiment, NewExperimentForm};
use app::domain::lifecycle::{given, Closing, Status, TransitionRequest};
use app::domain::verdict::{PostMortem, VerdictKind};
use app::error::AppError;
use app::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{parse, Editor, JsonBody, Viewer};
use super::{ApiError, ErrorBody};

/// The board's filters, plus the two a script wants that the board shows as columns and cards.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only experiments in this status.
    #[param(example = "running")]
    pub status: Option<Status>,
    pub team: String,
    pub owner: String,
    /// Only experiments on this surface (lowercase, as stored).
    pub surface: String,
    pub tag: String,
    /// Text in the key, the title or the brief.
    pub q: String,
    /// true: only archived experiments; false (default): only those on the board.
    pub archived: bool,
}

/// A proposal: only title, owner, team and a hypothesis draft are needed.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CreateExperiment {
    /// A slug (lowercase letters, digits, `_`, `-`); suggested from the title when empty.
    #[schema(example = "one_page_checkout")]
    pub key: String,
    #[schema(example = "One-page checkout")]
    pub title: String,
    #[schema(example = "Ana")]
    pub owner: String,
    #[schema(example = "Checkout")]
    pub team: String,
    /// The rough idea; required by the proposal rule, like in the "new experiment" form.
    #[schema(example = "fewer steps convert better")]
    pub hypothesis: String,
    pub surface: String,
    pub tags: Vec<String>,
}

impl CreateExperiment {
    fn into_form(self) -> NewExperimentForm {
        NewExperimentForm {
            key: self.key,
            title: self.title,
            hypothesis: self.hypothesis,
            owner: self.owner,
            team: self.team,
            surface: self.surface,
            tags: self.tags.join(","),
            follows: String::new(),
        }
    }
}

/// An edit of the brief, as a JSON merge patch (RFC 7396) on the stored brief: fields left out
/// keep their value, `null` clears one, arrays are replaced whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchExperiment {
    /// The `version` the edit was made from; if the experiment changed since, 409.
    pub version: i64,
    #[schema(value_type = Brief)]
    pub brief: serde_json::Value,
}

/// A lifecycle move. Closing (`to: done`) also needs the verdict fields.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TransitionBody {
    #[schema(example = "ready")]
    pub to: Option<Status>,
    pub note: String,
    #[schema(example = "ship")]
    pub verdict: Option<VerdictKind>,
    pub ship_arm: String,
    pub summary: String,
    pub stop_reason: String,
    pub override_reason: String,
    pub post_mortem: PostMortemBody,
}

/// Closing only: what the team learned (required), segment notes and the next test idea.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostMortemBody {
    pub lessons: String,
    pub segment_notes: String,
    pub next_idea: String,
}

impl TryFrom<TransitionBody> for TransitionRequest {
    type Error = ApiError;

    /// `to: done` is a close with the conclusion fields; any other target a move (the closing
    /// fields are then ignored). Blank optional fields count as not given.
    fn try_from(b: TransitionBody) -> Result<Self, ApiError> {
        let to = b.to.ok_or_else(|| {
            ApiError(AppError::invalid(
                "to",
                "say which status to move to: ready, running, proposed or done",
            ))
        })?;
        if to != Status::Done {
            return Ok(TransitionRequest::Move { to, note: b.note });
        }
        Ok(TransitionRequest::Close(Closing {
            verdict: b.verdict,
            ship_arm: given(&b.ship_arm),
            summary: b.summary,
            stop_reason: given(&b.stop_reason),
            override_reason: given(&b.override_reason),
            post_mortem: PostMortem {
                lessons: b.post_mortem.lessons,
                segment_notes: b.post_mortem.segment_notes,
                next_idea: b.post_mortem.next_idea,
            },
            note: b.note,
        }))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Transitioned {
    pub experiment: Experiment,
    /// Not refusals: e.g. another test running on the same surface.
    pub warnings: Vec<String>,
}

/// Experiments matching the filters, most recently changed first.
#[utoipa::path(get, path = "/api/v1/experiments", tag = "experiments", params(ListQuery),
    responses(
        (status = 200, description = "the matching experiments", body = Vec<Experiment>),
        (status = 400, description = "a filter that cannot be read", body = ErrorBody)))]
pub async fn list(
    _: Viewer,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Experiment>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let filter = BoardFilter {
        team: q.team,
        owner: q.owner,
        tag: q.tag,
        q: q.q,
        archived: q.archived,
    };
    let surface = q.surface.trim().to_lowercase();
    let mut experiments = app::db::experiments::list(&state.pool, &filter).await?;
    experiments.retain(|e| {
        q.status.is_none_or(|s| e.status == s) && (surface.is_empty() || e.surface == surface)
    });
    Ok(Json(experiments))
}

/// Proposes an experiment; it starts in `proposed` with a brief holding the hypothesis draft.
#[utoipa::path(post, path = "/api/v1/experiments", tag = "experiments",
    request_body = CreateExperiment,
    responses(
        (status = 201, description = "proposed", body = Experiment, headers(("location" = String))),
        (status = 400, description = "every missing or invalid field", body = ErrorBody),
        (status = 409, description = "the key is taken", body = ErrorBody),
    ))]
pub async fn create(
    Editor(who): Editor,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateExperiment>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<Experiment>,
    ),
    ApiError,
> {
    let form = body.into_form();
    let exp = acting_as(who, ssr::create(&state.pool, &form, chrono::Utc::now())).await?;
    let location = format!("/api/v1/experiments/{}", exp.key);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(exp),
    ))
}

#[utoipa::path(get, path = "/api/v1/experiments/{key}", tag = "experiments",
    params(("key" = String, Path)),
    responses(
        (status = 200, description = "the experiment", body = Experiment),
        (status = 404, description = "no experiment has this key", body = ErrorBody)))]
pub async fn get(
    _: Viewer,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Experiment>, ApiError> {
    Ok(Json(app::db::experiments::by_key(&state.pool, &key).await?))
}

/// Edits the brief while it is editable (proposed or ready).
#[utoipa::path(patch, path = "/api/v1/experiments/{key}", tag = "experiments",
    params(("key" = String, Path)), request_body = PatchExperiment,
    responses(
        (status = 200, description = "the experiment with its merged brief", body = Experiment),
        (status = 400, description = "a brief field that is invalid", body = ErrorBody),
        (status = 404, description = "no experiment has this key", body = ErrorBody),
        (status = 409, description = "stale version, or the brief is locked (running or done)", body = ErrorBody),
    ))]
pub async fn patch(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<PatchExperiment>,
) -> Result<Json<Experiment>, ApiError> {
    let pool = &state.pool;
    let current = app::db::experiments::by_key(pool, &key).await?;
    let brief = merge_brief(&current.brief, body.brief)?;
    acting_as(who, async {
        ssr::save_brief(pool, &key, body.version, &brief, chrono::Utc::now()).await?;
        app::db::experiments::by_key(pool, &key).await
    })
    .await
    .map(Json)
    .map_err(ApiError::from)
}

/// The stored brief with `patch` merged in (RFC 7396), parsed back so a bad value names its path.
fn merge_brief(stored: &Brief, patch: serde_json::Value) -> Result<Brief, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::invalid("brief", "must be a JSON object"));
    }
    let mut value = serde_json::to_value(stored)
        .map_err(|e| AppError::internal("stored brief does not serialise", e))?;
    merge(&mut value, patch);
    let bytes = serde_json::to_vec(&value)
        .map_err(|e| AppError::internal("merged brief does not serialise", e))?;
    parse::<Brief>(&bytes).map_err(|ApiError(e)| match e {
        AppError::Invalid(fields) => AppError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = format!("brief.{}", f.field);
                    f
                })
                .collect(),
        )
        .into(),
        other => other.into(),
    })
}

fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    use serde_json::Value;
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(target) = target {
        for (k, v) in patch {
            if v.is_null() {
                target.remove(&k);
            } else {
                merge(target.entry(k).or_insert(Value::Null), v);
            }
        }
    }
}

/// Moves the experiment; a gate that refuses answers 422 with every reason at once.
#[utoipa::path(post, path = "/api/v1/experiments/{key}/transition", tag = "experiments",
    params(("key" = String, Path)), request_body = TransitionBody,
    responses(
        (status = 200, description = "moved", body = Transitioned),
        (status = 404, description = "no experiment has this key", body = ErrorBody),
        (status = 409, description = "the experiment changed meanwhile", body = ErrorBody),
        (status = 422, description = "the gate refused: `reasons` lists every reason", body = ErrorBody),
    ))]
pub async fn transition(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(body): JsonBody<TransitionBody>,
) -> Result<Json<Transitioned>, ApiError> {
    let request = TransitionRequest::try_from(body)?;
    let (experiment, warnings) = acting_as(
        who,
        ssr::transition(&state.pool, &key, &request, chrono::Utc::now()),
    )
    .await?;
    Ok(Json(Transitioned {
        experiment,
        warnings,
    }))
}
