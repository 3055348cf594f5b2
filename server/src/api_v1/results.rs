//! Results over REST: record a reading, read the analysis and the verdict. Both reads go through
//! `app::api::results::ssr::results_of`, the UI's own view, so the no-peeking rule holds here
//! exactly as on the page: before a fixed-horizon or Bayesian test's planned end, the primary
//! metric's comparisons and the decision are withheld by the server.

use app::api::results::{ssr, LiftPoint, ResultsView};
use app::auth::acting_as;
use app::domain::decision::Decision;
use app::domain::lifecycle::Status;
use app::domain::pre_period::PrePeriodCheck;
use app::domain::results::{Counts, Snapshot};
use app::domain::stats::AnalyzeResponse;
use app::domain::verdict::Conclusion;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Editor, JsonBody, Viewer};
use super::{ApiError, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct Analysis {
    pub key: String,
    #[schema(example = "running")]
    pub status: Status,
    /// Set while the primary metric's result is withheld (no peeking): the planned end date.
    pub blind_until: Option<NaiveDate>,
    /// The latest reading; null before the first.
    pub snapshot: Option<Snapshot>,
    /// The analysis of the latest reading (primary comparisons empty while blind).
    pub analysis: Option<AnalyzeResponse>,
    /// Why the latest reading could not be analysed, in words.
    pub unavailable: Option<String>,
    /// The primary metric's lift over time (empty while blind): at every reading while there
    /// are at most 60, else at the last reading of each hour, day, week ... (the shortest such
    /// period that leaves at most 60), always ending with the latest.
    pub lift_history: Vec<LiftPoint>,
    /// How many readings the experiment has in all.
    pub readings: usize,
    /// The pre-period (retro A/A) check and CUPED's narrowing; null without pre-period data.
    pub pre_period: Option<PrePeriodCheck>,
    /// Per segment property of the brief, every value analysed on its own (exploratory: the
    /// decision never reads them); empty while blind.
    pub segments: Vec<Segment>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Segment {
    #[schema(example = "$os")]
    pub property: String,
    /// Largest first.
    pub values: Vec<SegmentValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentValue {
    #[schema(example = "iOS")]
    pub value: String,
    pub users: u64,
    /// Holm-adjusted within the property and metric.
    pub analysis: Option<AnalyzeResponse>,
    /// Why this segment could not be analysed, in words.
    pub unavailable: Option<String>,
}

impl From<ResultsView> for Analysis {
    fn from(v: ResultsView) -> Self {
        let (analysis, unavailable) = match v.analysis {
            Some(Ok(a)) => (Some(a), None),
            Some(Err(why)) => (None, Some(why)),
            None => (None, None),
        };
        Analysis {
            key: v.key,
            status: v.status,
            blind_until: v.blind_until,
            snapshot: v.latest,
            analysis,
            unavailable,
            lift_history: v.lift_history,
            readings: v.readings,
            pre_period: v.pre_period,
            segments: v
                .segments
                .into_iter()
                .map(|s| Segment {
                    property: s.property,
                    values: s
                        .values
                        .into_iter()
                        .map(|v| {
                            let (analysis, unavailable) = match v.analysis {
                                Ok(a) => (Some(a), None),
                                Err(why) => (None, Some(why)),
                            };
                            SegmentValue {
                                value: v.value,
                                users: v.users,
                                analysis,
                                unavailable,
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictView {
    pub key: String,
    #[schema(example = "done")]
    pub status: Status,
    pub blind_until: Option<NaiveDate>,
    /// The pre-registered decision rule on the latest reading: each condition met or not, and
    /// the verdict it gives. Null without results, and while blind.
    pub decision: Option<Decision>,
    /// The verdict recorded when the experiment was closed; null until then.
    pub conclusion: Option<Conclusion>,
}

/// Records hand-typed counts (running or done experiments) as a new snapshot.
#[utoipa::path(post, path = "/api/v1/experiments/{key}/results", tag = "results",
    params(("key" = String, Path)), request_body = Counts,
    responses(
        (status = 201, description = "the stored reading", body = Snapshot),
        (status = 400, description = "counts that do not match the brief, or a status without results", body = ErrorBody),
        (status = 404, description = "no experiment has this key", body = ErrorBody),
    ))]
pub async fn record(
    Editor(who): Editor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    JsonBody(counts): JsonBody<Counts>,
) -> Result<(StatusCode, Json<Snapshot>), ApiError> {
    let snapshot = acting_as(
        who,
        ssr::record(&state.pool, &key, counts, chrono::Utc::now()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

async fn view(state: &AppState, key: &str) -> Result<(ResultsView, Option<Conclusion>), ApiError> {
    let exp = app::db::experiments::by_key(&state.pool, key).await?;
    let conclusion = exp.conclusion.clone();
    let today = chrono::Utc::now().date_naive();
    Ok((ssr::results_of(&state.pool, exp, today).await?, conclusion))
}

/// The analysis of the latest reading, with the no-peeking rule applied.
#[utoipa::path(get, path = "/api/v1/experiments/{key}/analysis", tag = "results",
    params(("key" = String, Path)),
    responses(
        (status = 200, description = "the latest reading and its analysis", body = Analysis),
        (status = 404, description = "no experiment has this key", body = ErrorBody)))]
pub async fn analysis(
    _: Viewer,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Analysis>, ApiError> {
    Ok(Json(view(&state, &key).await?.0.into()))
}

/// The decision rule's verdict on the latest reading, and the recorded one once closed.
#[utoipa::path(get, path = "/api/v1/experiments/{key}/verdict", tag = "results",
    params(("key" = String, Path)),
    responses(
        (status = 200, description = "the rule's decision and the recorded verdict", body = VerdictView),
        (status = 404, description = "no experiment has this key", body = ErrorBody)))]
pub async fn verdict(
    _: Viewer,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<VerdictView>, ApiError> {
    let (view, conclusion) = view(&state, &key).await?;
    Ok(Json(VerdictView {
        key: view.key,
        status: view.status,
        blind_until: view.blind_until,
        decision: view.decision,
        conclusion,
    }))
}
