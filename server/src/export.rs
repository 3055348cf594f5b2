//! Exports: the experiment list as CSV (`GET /experiments.csv`, the board's filters) for
//! spreadsheets and exec reporting, and the weekly review as Markdown (`GET /review.md?week=…`)
//! to paste into Slack, Notion or an email.

use app::domain::experiment::Experiment;
use app::domain::experiment_list::{self, ListParams};
use app::domain::results::Counts;
use app::domain::review::{primary_hidden, primary_lift};
use app::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

const HEADER: [&str; 22] = [
    "key",
    "title",
    "status",
    "team",
    "owner",
    "surface",
    "tags",
    "hypothesis",
    "primary_metric",
    "planned_start",
    "planned_end",
    "launched",
    "ended",
    "verdict",
    "rule_verdict",
    "override_reason",
    "lift_arm",
    "lift_relative",
    "lift_ci_low",
    "lift_ci_high",
    "summary",
    "lessons",
];

/// The rows of the list view (`/experiments`) with the same parameters: the same filters, status,
/// and order, every page.
pub async fn experiments_csv(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Response {
    let today = chrono::Utc::now().date_naive();
    let rows = match app::db::experiments::list(&state.pool, &params.filter()).await {
        Ok(list) => app::db::program::with_latest(&state.pool, list).await,
        Err(e) => Err(e),
    };
    let all = match rows {
        Ok(rows) => rows,
        Err(e) => return e.into_response(),
    };
    let by_key: std::collections::HashMap<String, &(Experiment, Option<Counts>)> =
        all.iter().map(|r| (r.0.key.to_string(), r)).collect();
    let rows: Vec<&(Experiment, Option<Counts>)> = experiment_list::rows(&all, &params, today)
        .iter()
        .filter_map(|r| by_key.get(&r.key).copied())
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), csv::Error> {
        out.write_record(HEADER)?;
        for (e, counts) in rows.iter().copied() {
            let c = e.conclusion.as_ref();
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            // The no-peeking rule holds in exports too: no lift before a fixed-horizon test ends.
            let lift = counts
                .as_ref()
                .filter(|_| !primary_hidden(e, today))
                .and_then(|counts| primary_lift(e, counts));
            let num = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
            let record: [String; 22] = [
                e.key.to_string(),
                e.title.clone(),
                e.status.slug().into(),
                e.team.clone(),
                e.owner.clone(),
                e.surface.clone(),
                e.tags.join(" "),
                e.brief.hypothesis_sentence(),
                e.brief.primary.name.clone(),
                date(e.brief.planned_start),
                date(e.brief.planned_end),
                date(e.started_at.map(|t| t.date_naive())),
                date(e.ended_at.map(|t| t.date_naive())),
                c.map(|c| c.verdict.describe()).unwrap_or_default(),
                c.and_then(|c| c.computed.as_ref().map(|v| v.describe()))
                    .unwrap_or_default(),
                c.and_then(|c| c.override_reason.as_deref())
                    .unwrap_or_default()
                    .to_string(),
                lift.as_ref().map(|l| l.arm.clone()).unwrap_or_default(),
                num(lift.as_ref().map(|l| l.lift)),
                num(lift.as_ref().map(|l| l.low)),
                num(lift.as_ref().map(|l| l.high)),
                c.map(|c| c.summary.as_str())
                    .unwrap_or_default()
                    .to_string(),
                c.map(|c| c.post_mortem.lessons.as_str())
                    .unwrap_or_default()
                    .to_string(),
            ];
            crate::csv_cell::write_record(&mut out, &record)?;
        }
        out.flush()?;
        Ok(())
    };
    if let Err(e) = write() {
        return app::error::AppError::internal("writing the CSV export", e).into_response();
    }
    let body = out.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"experiments.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WeekQuery {
    pub week: String,
}

pub async fn review_markdown(
    State(state): State<AppState>,
    Query(q): Query<WeekQuery>,
) -> Response {
    use app::api::review::ssr;
    let today = chrono::Utc::now().date_naive();
    let result = match ssr::parse_week(&q.week, today) {
        Ok(week) => ssr::markdown(&state.pool, week, today)
            .await
            .map(|md| (week, md)),
        Err(e) => Err(e),
    };
    match result {
        Ok((week, md)) => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/markdown; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"review-{week}.md\""),
                ),
            ],
            md,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
