//! One attribution as one SQL query: the rules of `domain::attribution` (see its module docs)
//! written as CTEs, so the warehouse does the scanning and only per-arm aggregates come back.
//!
//! The pipeline, each step a CTE:
//! - `src`: the rows read (the run's events, or every event when `*` retention or new vs
//!   returning needs them), time as unix seconds;
//! - `named` / `kept` / `exposures`: exposure events in the run's dates, named by the
//!   convention (Optimizely's `rule_key`, Amplitude's `experiment_key` before the flag);
//! - `firsts`: per (experiment, user) the first exposure, and whether the user's arms differ;
//! - `tracked`: metric events, each copy of an (event, distinct_id, time, insert_id) ranked so
//!   that the copy Mixpanel keeps (largest `mp_processing_time_ms`) is copy 1;
//! - `measured`: per exposed user, conversions, value totals and named retention in the
//!   half-open window, and the pre-exposure covariates; `act`: `*` retention and new vs
//!   returning from all of the user's events;
//! - `capN`: the nearest-rank percentile caps, ranked with integer arithmetic so `p28` of 25
//!   users is rank 7 exactly (PostgreSQL's `percentile_disc` computes the rank in floating point);
//! - `fin`: capped per-user values of counted (single-arm) users;
//! - the result: per arm (and per arm within each segment value, by `GROUPING SETS`) the
//!   sums as exact decimal text, with rows of the bookkeeping (multi-arm users, flags, left-out
//!   rules, duplicates, scales, caps) in the same shape.
//!
//! Every value (event names, property keys, dates, windows, caps) is a bound parameter; names
//! of the table and columns are checked plain names, quoted.
//!
//! The steps are written in order by [`Gen`]: `rows.rs` (`src` to `tracked`), `users.rs`
//! (`measured` to `users_m`), `result.rs` (the caps, `fin` and the rows returned).

mod result;
mod rows;
mod users;

use super::dialect::{BindKind, Dialect};
use super::layout::{Layout, TimeKind};
use crate::domain::attribution::{
    dedup, CapAt, Config, ConfigError, Plan, RetentionEvent, ValueMetric, NEW_VS_RETURNING,
};

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    BigInt(i64),
    /// Exact decimal text, bound as text and cast.
    Numeric(String),
    Texts(Vec<String>),
}

/// The generated statement with its values, and how to read its rows back.
#[derive(Debug, Clone)]
pub struct Query {
    pub sql: String,
    pub binds: Vec<Bind>,
    pub shape: Shape,
}

/// What the `nums` array of an arm row holds, in order: incomplete windows, then per metric
/// its conversions, per value metric sum and sum of squares, per retention spec its retained
/// users, per ratio five sums, and (with a pre-period) per metric then per value metric three
/// covariate sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub metrics: Vec<String>,
    pub values: Vec<ValueMetric>,
    pub value_reported: Vec<bool>,
    pub retention: Vec<String>,
    pub ratios: Vec<(String, usize, usize)>,
    pub covariates: bool,
    pub segments: Vec<String>,
    /// Per value metric, the scale of a fixed cap (its digits count in the sums' scale).
    pub fixed_cap_scale: Vec<Option<u32>>,
    /// Per value metric, the fixed cap, reported on every arm.
    pub fixed_caps: Vec<Option<crate::domain::attribution::Decimal>>,
    pub requested: Vec<String>,
    pub flag_keys: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the warehouse source reads `time` as UTC (Mixpanel's pipelines write UTC); a project-local clock applies only to the export API and files")]
    LocalClock,
}

/// Placeholders and their values, numbered in order of use.
struct Binder<'d> {
    dialect: &'d dyn Dialect,
    binds: Vec<Bind>,
}

impl Binder<'_> {
    fn bind(&mut self, value: Bind) -> String {
        let kind = match &value {
            Bind::Text(_) => BindKind::Text,
            Bind::BigInt(_) => BindKind::BigInt,
            Bind::Numeric(_) => BindKind::Numeric,
            Bind::Texts(_) => BindKind::TextArray,
        };
        self.binds.push(value);
        self.dialect.placeholder(self.binds.len(), kind)
    }

    fn text(&mut self, value: &str) -> String {
        self.bind(Bind::Text(value.to_owned()))
    }

    fn int(&mut self, value: i64) -> String {
        self.bind(Bind::BigInt(value))
    }

    fn texts(&mut self, values: &[String]) -> String {
        self.bind(Bind::Texts(values.to_vec()))
    }
}

/// The statement for `config` over `layout`. `scan` limits the rows read to `[start, end)` unix
/// seconds (the export's dates, as a file holds them); None reads the whole table.
/// The statement being written: what every step reads (the measures, the placeholders bound
/// once) and what a step leaves for the later ones.
struct Gen<'a> {
    d: &'a dyn Dialect,
    b: Binder<'a>,
    config: &'a Config,
    sql: String,
    metrics: Vec<String>,
    values: Vec<ValueMetric>,
    ratios: Vec<(String, usize, usize)>,
    caps: Vec<Option<CapAt>>,
    /// Whether some measure reads every event of a user (`*` retention, new vs returning).
    any_activity: bool,
    exposure: String,
    tracked_p: String,
    dedupe_p: String,
    window: String,
    /// Set by `users.rs`: the pre-exposure period's placeholder, when there is one.
    pre: Option<String>,
    /// Set by `rows.rs`: per segment its column (None for new vs returning), and the filter.
    segment_exprs: Vec<Option<String>>,
    wanted: Option<String>,
}

pub fn build(
    config: &Config,
    layout: &Layout,
    time_kind: TimeKind,
    scan: Option<(i64, i64)>,
    dialect: &dyn Dialect,
) -> Result<Query, QueryError> {
    if config.clock != crate::domain::attribution::Clock::Utc {
        return Err(QueryError::LocalClock);
    }
    let mut b = Binder {
        dialect,
        binds: Vec::new(),
    };

    // What is measured, in the same order and under the same keys as the file engine: its plan.
    let plan = Plan::new(config.clone())?;
    let (metrics, values, value_reported) = (plan.metrics, plan.values, plan.value_reported);
    let ratios: Vec<(String, usize, usize)> = config
        .ratios
        .iter()
        .zip(&plan.ratios)
        .map(|(ratio, &(a, b))| (ratio.spec.clone(), a, b))
        .collect();
    let caps: Vec<Option<CapAt>> = values
        .iter()
        .map(|v| config.caps.iter().find(|c| c.metric == *v).map(|c| c.at))
        .collect();
    let any_activity = config.segments.iter().any(|s| s == NEW_VS_RETURNING)
        || config
            .retention
            .iter()
            .any(|r| r.event == RetentionEvent::Any);
    let value_events: Vec<String> = values.iter().map(|v| v.event().to_owned()).collect();
    let dedupe: Vec<String> = dedup(metrics.iter().chain(&value_events).cloned());
    let named_retention = config.retention.iter().filter_map(|r| match &r.event {
        RetentionEvent::Named(e) => Some(e.clone()),
        RetentionEvent::Any => None,
    });
    let tracked: Vec<String> = dedup(dedupe.iter().cloned().chain(named_retention));
    let exposure = b.text(config.convention.event());
    let tracked_p = b.texts(&tracked);
    let dedupe_p = b.texts(&dedupe);
    let window = b.int(config.window.as_seconds());
    let mut gen = Gen {
        d: dialect,
        b,
        config,
        sql: String::new(),
        metrics,
        values,
        ratios,
        caps,
        any_activity,
        exposure,
        tracked_p,
        dedupe_p,
        window,
        pre: None,
        segment_exprs: Vec::new(),
        wanted: None,
    };
    gen.rows(layout, time_kind, scan);
    gen.users();
    let (fixed_caps, fixed_cap_scale) = gen.result();
    let shape = Shape {
        metrics: gen.metrics,
        values: gen.values,
        value_reported,
        retention: config.retention.iter().map(|r| r.spec.clone()).collect(),
        ratios: gen.ratios,
        covariates: gen.pre.is_some(),
        segments: config.segments.clone(),
        fixed_cap_scale,
        fixed_caps,
        requested: config.experiments.clone(),
        flag_keys: config.flag_keys.clone(),
    };
    Ok(Query {
        sql: gen.sql,
        binds: gen.b.binds,
        shape,
    })
}
