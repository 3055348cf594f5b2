//! Server functions for results: the analysis of the latest snapshot (with the no-peeking rule
//! applied on the server, so hidden numbers never reach the browser) and hand-typed counts.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

use crate::api::codec::JsonOut;

use crate::domain::brief::Brief;
use crate::domain::decision::Decision;
use crate::domain::lifecycle::Status;
use crate::domain::pre_period::PrePeriodCheck;
use crate::domain::results::{Counts, Snapshot};
use crate::domain::segments::SegmentBreakdown;
use crate::domain::stats::AnalyzeResponse;
use crate::error::AppError;

/// The primary metric's lift at one snapshot, for the lift-over-time chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LiftPoint {
    pub at: DateTime<Utc>,
    pub arm: String,
    pub lift: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsView {
    pub key: String,
    pub status: Status,
    pub brief: Brief,
    pub latest: Option<Snapshot>,
    /// Err: the latest counts could not be analysed, in words.
    pub analysis: Option<Result<AnalyzeResponse, String>>,
    pub decision: Option<Decision>,
    /// Set while the primary result is hidden (fixed-horizon or Bayesian test before its end).
    pub blind_until: Option<NaiveDate>,
    /// The readings charted: all of them up to 60, else the last of each hour, day, week ...
    /// (`domain::lift_history`).
    pub lift_history: Vec<LiftPoint>,
    /// How the charted readings were chosen, and how many readings there are in all.
    pub lift_thinning: crate::domain::lift_history::Thinning,
    pub readings: usize,
    /// The retro A/A check and CUPED's narrowing, when the reading has pre-period data.
    pub pre_period: Option<PrePeriodCheck>,
    /// Per segment property, exploratory (empty while blind or without segments).
    pub segments: Vec<SegmentBreakdown>,
}

#[server(output = JsonOut, input = Json, endpoint = "get_results")]
#[middleware(crate::auth::Gate::VIEWERS)]
pub async fn get_results(key: String) -> Result<ResultsView, AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Viewer::check()?;
            let pool = crate::state::pool(&who)?;
            let exp = crate::db::experiments::by_key(&pool, &key).await?;
            ssr::results_of(&pool, exp, Utc::now().date_naive()).await
        }
        .await,
    )
}

#[server(output = JsonOut, input = Json, endpoint = "record_results")]
#[middleware(crate::auth::Gate::EDITORS)]
pub async fn record_results(key: String, counts: Counts) -> Result<(), AppError> {
    crate::api::with_status(
        async move {
            let who = crate::auth::Editor::check()?;
            let pool = crate::state::pool(&who)?;
            ssr::record(&pool, &key, counts, Utc::now()).await?;
            Ok(())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::domain::analysis::analyze;
    use crate::domain::decision::{decide, Context};
    use crate::domain::experiment::Experiment;
    use crate::domain::metric::MetricRole;
    use crate::domain::{pre_period, segments};

    /// Stores hand-typed counts as a snapshot, if the experiment is running or done and the
    /// counts match its brief (arms, metrics, conversions within users).
    pub async fn record(
        pool: &sqlx::SqlitePool,
        key: &str,
        counts: Counts,
        now: DateTime<Utc>,
    ) -> Result<Snapshot, AppError> {
        use crate::domain::results::Source;
        let exp = crate::db::experiments::by_key(pool, key).await?;
        if !exp.status.accepts_results() {
            return Err(AppError::invalid(
                "status",
                "results are recorded for running or finished experiments",
            ));
        }
        let problems = counts.validate(&exp.brief);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let id =
            crate::db::results::insert(pool, exp.id, Source::Manual, &counts, 0, 0, now).await?;
        Ok(Snapshot {
            id,
            taken_at: now,
            source: Source::Manual,
            counts,
            lines: 0,
            skipped_lines: 0,
        })
    }

    /// The results view of an experiment's snapshots, with the no-peeking rule applied.
    pub async fn results_of(
        pool: &sqlx::SqlitePool,
        exp: Experiment,
        today: NaiveDate,
    ) -> Result<ResultsView, AppError> {
        let snapshots = crate::db::results::list(pool, exp.id).await?;
        Ok(view(exp, snapshots, today))
    }

    /// The rule's verdict on the latest snapshot, for the close form and the override check.
    pub async fn computed_verdict(
        pool: &sqlx::SqlitePool,
        exp: &Experiment,
        today: NaiveDate,
    ) -> Result<Option<crate::domain::verdict::Verdict>, AppError> {
        let latest = crate::db::results::latest(pool, exp.id).await?;
        Ok(latest.and_then(|s| {
            let a = analyze(&exp.brief, &s.counts).ok()?;
            let check = pre_period::check(&exp.brief, &s.counts);
            let context = Context::of(&exp.brief, &s.counts, check.as_ref());
            Some(decide(&exp.brief, &a, context, today).verdict)
        }))
    }

    /// Builds the results view; while blind, the primary metric's comparisons are removed here.
    pub fn view(exp: Experiment, snapshots: Vec<Snapshot>, today: NaiveDate) -> ResultsView {
        let brief = exp.brief.clone();
        let blind_until = exp.blind_until(today);
        let mut lift_history = Vec::new();
        let taken: Vec<_> = snapshots.iter().map(|s| s.taken_at).collect();
        let (charted, lift_thinning) = crate::domain::lift_history::shown(&taken);
        if blind_until.is_none() {
            for s in charted.iter().map(|&i| &snapshots[i]) {
                if let Ok(a) = analyze(&brief, &s.counts) {
                    if let Some(m) = a.metrics.iter().find(|m| m.role == MetricRole::Primary) {
                        for c in &m.comparisons {
                            if let Some(e) = c.estimate() {
                                lift_history.push(LiftPoint {
                                    at: s.taken_at,
                                    arm: c.arm.clone(),
                                    lift: e.lift_relative,
                                    low: e.ci_low,
                                    high: e.ci_high,
                                });
                            }
                        }
                    }
                }
            }
        }
        let readings = snapshots.len();
        let latest = snapshots.into_iter().last();
        // The reason travels to the page in words.
        let mut analysis = latest
            .as_ref()
            .map(|s| analyze(&brief, &s.counts).map_err(|e| e.to_string()));
        let pre_period = latest
            .as_ref()
            .and_then(|s| pre_period::check(&brief, &s.counts));
        let decision = match (&analysis, &latest, blind_until) {
            (Some(Ok(a)), Some(s), None) => Some(decide(
                &brief,
                a,
                Context::of(&brief, &s.counts, pre_period.as_ref()),
                today,
            )),
            _ => None,
        };
        let segments = match (&latest, blind_until) {
            (Some(s), None) => segments::analyze(&brief, &s.counts),
            _ => Vec::new(),
        };
        if blind_until.is_some() {
            if let Some(Ok(a)) = analysis.as_mut() {
                for m in a
                    .metrics
                    .iter_mut()
                    .filter(|m| m.role == MetricRole::Primary)
                {
                    m.comparisons.clear();
                }
            }
        }
        ResultsView {
            key: exp.key.to_string(),
            status: exp.status,
            brief,
            latest,
            analysis,
            decision,
            blind_until,
            lift_history,
            lift_thinning,
            readings,
            pre_period,
            segments,
        }
    }
}
