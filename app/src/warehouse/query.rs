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

use super::dialect::{BindKind, Dialect};
use super::layout::{Layout, TimeKind};
use crate::domain::attribution::{
    CapAt, Config, ConfigError, Plan, RetentionEvent, ValueMetric, NEW_VS_RETURNING,
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

fn dedup<T: PartialEq + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The statement for `config` over `layout`. `scan` limits the rows read to `[start, end)` unix
/// seconds (the export's dates, as a file holds them); None reads the whole table.
pub fn build(
    config: &Config,
    layout: &Layout,
    time_kind: TimeKind,
    scan: Option<(i64, i64)>,
    dialect: &dyn Dialect,
) -> Result<Query, QueryError> {
    config.validate()?;
    if config.clock != crate::domain::attribution::Clock::Utc {
        return Err(QueryError::LocalClock);
    }
    let d = dialect;
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

    let c = &layout.columns;
    let (ev_col, time_col, user_col, iid_col, props_col) = (
        d.quote(&c.event),
        d.quote(&c.time),
        d.quote(&c.distinct_id),
        d.quote(&c.insert_id),
        d.quote(&c.properties),
    );
    let seconds = d.seconds(&time_col, time_kind);
    let exposure = b.text(config.convention.event());
    let tracked_p = b.texts(&tracked);
    let dedupe_p = b.texts(&dedupe);
    let window = b.int(config.window.as_seconds());

    // What each row needs from its JSON, read once in `src` (which PostgreSQL materializes, as
    // several steps read it): the exposure's names and segments, a metric event's processing
    // time and amounts. The JSON itself never leaves `src`, so the materialized rows stay narrow.
    let text_of = |b: &mut Binder, key: &str| {
        let key = b.text(key);
        format!(
            "CASE WHEN {} IN ('string', 'number', 'boolean') THEN {} END",
            d.json_type("p", &key),
            d.json_text("p", &key)
        )
    };
    let mut read = vec![
        format!(
            "CASE WHEN ev = {exposure} THEN {} END AS x_name",
            text_of(&mut b, config.convention.experiment_property())
        ),
        format!(
            "CASE WHEN ev = {exposure} THEN {} END AS x_arm",
            text_of(&mut b, config.convention.variant_property())
        ),
    ];
    let (experiment, flag) = match config.convention.experiment_key_property() {
        Some(key) => {
            let key = b.text(key);
            read.push(format!(
                "CASE WHEN ev = {exposure} AND {} = 'string' THEN {} END AS x_key",
                d.json_type("p", &key),
                d.json_text("p", &key)
            ));
            (
                "COALESCE(NULLIF(x_key, ''), flag_or_name)".to_owned(),
                "flag_or_name".to_owned(),
            )
        }
        None => ("flag_or_name".to_owned(), "CAST(NULL AS text)".to_owned()),
    };
    // Per segment: its column, or None for the derived new vs returning.
    let segment_exprs: Vec<Option<String>> = config
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (s != NEW_VS_RETURNING).then(|| {
                let key = b.text(s);
                read.push(format!(
                    "CASE WHEN ev = {exposure} THEN CASE WHEN {} IN ('string', 'number', 'boolean') THEN {} ELSE '(none)' END END AS x_s{i}",
                    d.json_type("p", &key),
                    d.json_text("p", &key)
                ));
                format!("x_s{i}")
            })
        })
        .collect();
    let processed_key = b.text("mp_processing_time_ms");
    read.push(format!(
        "CASE WHEN {} AND {} = 'number' THEN floor({}) END AS processed",
        d.any_of("ev", &dedupe_p),
        d.json_type("p", &processed_key),
        d.json_number("p", &processed_key)
    ));
    for (j, value) in values.iter().enumerate() {
        let event = b.text(value.event());
        let amount = if value.is_count() {
            "1".to_owned()
        } else {
            let key = b.text(value.property());
            format!(
                "CASE WHEN {} = 'number' THEN {} ELSE 0 END",
                d.json_type("p", &key),
                d.json_number("p", &key)
            )
        };
        read.push(format!(
            "CASE WHEN ev = {event} THEN CAST({amount} AS numeric) END AS a{j}"
        ));
    }

    // `src`: the rows read.
    let mut src_where =
        format!("{ev_col} IS NOT NULL AND {time_col} IS NOT NULL AND {user_col} IS NOT NULL");
    if !any_activity {
        // Anonymous rows of any event are read too: the report counts them.
        src_where.push_str(&format!(
            " AND ({ev_col} = {exposure} OR {} OR {user_col} = '')",
            d.any_of(&ev_col, &tracked_p)
        ));
    }
    if let Some((start, end)) = scan {
        let (start, end) = (b.int(start), b.int(end));
        src_where.push_str(&format!(
            " AND {} AND {}",
            d.time_at_least(&time_col, time_kind, &start),
            d.time_before(&time_col, time_kind, &end)
        ));
    }
    let mut sql = format!(
        "WITH src AS (\n  SELECT ev, t, u, iid,\n    {}\n  FROM (\n    SELECT {ev_col} AS ev, {seconds} AS t, {user_col} AS u, {iid_col} AS iid, {} AS p\n    FROM {}\n    WHERE {src_where}\n  ) raw\n),\n",
        read.join(",\n    "),
        d.properties(&props_col),
        d.table(&layout.table)
    );
    let relevant = format!("(ev = {exposure} OR {})", d.any_of("ev", &tracked_p));
    sql.push_str(&format!(
        "stats AS (\n  SELECT COALESCE(sum(CASE WHEN u <> '' AND {relevant} THEN 1 ELSE 0 END), 0) AS events,\n    COALESCE(sum(CASE WHEN u = '' THEN 1 ELSE 0 END), 0) AS anonymous,\n    max(CASE WHEN u <> '' AND {relevant} THEN t END) AS latest\n  FROM src\n),\n"
    ));

    // Exposures, named by the convention, in the run's dates.
    let run = match config.run {
        Some(run) => {
            let (start, end) = run.bounds();
            let (start, end) = (b.int(start), b.int(end));
            format!(" AND t >= {start} AND t < {end}")
        }
        None => String::new(),
    };
    let wanted = if config.experiments.is_empty() {
        None
    } else {
        Some(b.texts(&config.experiments))
    };
    let carried: String = segment_exprs
        .iter()
        .flatten()
        .map(|column| format!(", {column}"))
        .collect();
    let key_column = if config.convention.experiment_key_property().is_some() {
        ", x_key"
    } else {
        ""
    };
    sql.push_str(&format!(
        "named AS (\n  SELECT u, t, x_name AS flag_or_name, x_arm AS arm{key_column}{carried}\n  FROM src WHERE ev = {exposure} AND u <> ''{run}\n),\n"
    ));
    sql.push_str(&format!(
        "kept AS (\n  SELECT u, t, arm, {experiment} AS experiment, {flag} AS flag{carried}\n  FROM named WHERE flag_or_name IS NOT NULL AND arm IS NOT NULL\n),\n"
    ));
    let exposures_where = match &wanted {
        Some(w) => format!(" WHERE {}", d.any_of("experiment", w)),
        None => String::new(),
    };
    sql.push_str(&format!(
        "exposures AS (SELECT * FROM kept{exposures_where}),\n"
    ));
    let seg_select: String = segment_exprs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_ref().map(|e| format!(", {e} AS s{i}")))
        .collect();
    let seg_cols: String = segment_exprs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_ref().map(|_| format!(", s{i}")))
        .collect();
    let partition = "PARTITION BY experiment, u";
    if seg_cols.is_empty() {
        // Nothing of the first exposure is needed but its time: one hash aggregate, no sort.
        sql.push_str(
            "firsts AS (\n  SELECT experiment, u, min(t) AS t0, min(arm) AS arm, min(arm) <> max(arm) AS multi\n  FROM exposures GROUP BY experiment, u\n),\n",
        );
    } else {
        sql.push_str(&format!(
            "firsts AS (\n  SELECT experiment, u, t0, arm, multi{seg_cols} FROM (\n    SELECT experiment, u, t AS t0, arm,\n      min(arm) OVER ({partition}) <> max(arm) OVER ({partition}) AS multi,\n      row_number() OVER ({partition} ORDER BY t) AS nth{seg_select}\n    FROM exposures\n  ) r WHERE nth = 1\n),\n"
        ));
    }

    // Metric events, copies ranked.
    let amounts: String = (0..values.len()).map(|j| format!(", a{j}")).collect();
    sql.push_str(&format!(
        "tracked AS (\n  SELECT u, ev, t,\n    CASE WHEN iid IS NULL OR NOT ({}) THEN 1\n      ELSE row_number() OVER (PARTITION BY u, ev, t, iid ORDER BY processed DESC NULLS LAST) END AS copy{amounts}\n  FROM src WHERE u <> '' AND {}\n),\n",
        d.any_of("ev", &dedupe_p),
        d.any_of("ev", &tracked_p)
    ));

    // Per exposed user.
    let in_window = format!("tr.t >= f.t0 AND tr.t < f.t0 + {window}");
    let pre = config.pre_days.map(|days| b.int(i64::from(days) * 86_400));
    let in_pre = pre
        .as_ref()
        .map(|pre| format!("tr.t >= f.t0 - {pre} AND tr.t < f.t0"));
    let mut measures = String::new();
    for (k, metric) in metrics.iter().enumerate() {
        let m = b.text(metric);
        measures.push_str(&format!(
            ",\n    COALESCE(bool_or(tr.ev = {m} AND {in_window}), false) AS c{k}"
        ));
        if let Some(in_pre) = &in_pre {
            measures.push_str(&format!(
                ",\n    COALESCE(bool_or(tr.ev = {m} AND {in_pre}), false) AS pc{k}"
            ));
        }
    }
    for j in 0..values.len() {
        measures.push_str(&format!(
            ",\n    COALESCE(sum(CASE WHEN {in_window} THEN tr.a{j} END), 0) AS v{j}"
        ));
        if let Some(in_pre) = &in_pre {
            measures.push_str(&format!(
                ",\n    COALESCE(sum(CASE WHEN {in_pre} THEN tr.a{j} END), 0) AS pv{j}"
            ));
        }
    }
    let mut activity = String::new();
    let mut retention_cols = Vec::new();
    for (i, retention) in config.retention.iter().enumerate() {
        let lo = b.int(i64::from(retention.day) * 86_400);
        let hi = b.int((i64::from(retention.day) + 1) * 86_400);
        match &retention.event {
            RetentionEvent::Named(event) => {
                let e = b.text(event);
                measures.push_str(&format!(
                    ",\n    COALESCE(bool_or(tr.ev = {e} AND tr.t >= f.t0 + {lo} AND tr.t < f.t0 + {hi}), false) AS r{i}"
                ));
                retention_cols.push(format!("m.r{i}"));
            }
            RetentionEvent::Any => {
                activity.push_str(&format!(
                    ",\n    bool_or(a.t >= f.t0 + {lo} AND a.t < f.t0 + {hi}) AS ar{i}"
                ));
                retention_cols.push(format!("COALESCE(x.ar{i}, false)"));
            }
        }
    }
    let f_segs: String = segment_exprs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_ref().map(|_| format!(", f.s{i}")))
        .collect();
    sql.push_str(&format!(
        "measured AS (\n  SELECT f.experiment, f.u, f.arm, f.t0, f.multi{f_segs}{measures}\n  FROM firsts f LEFT JOIN tracked tr ON tr.u = f.u AND tr.copy = 1\n  GROUP BY f.experiment, f.u, f.arm, f.t0, f.multi{f_segs}\n),\n"
    ));
    let needs_act = any_activity;
    if needs_act {
        let before = match &pre {
            Some(pre) => format!("f.t0 - {pre}"),
            None => "f.t0".to_owned(),
        };
        sql.push_str(&format!(
            "act AS (\n  SELECT f.experiment, f.u, bool_or(a.t < {before}) AS returning{activity}\n  FROM firsts f JOIN src a ON a.u = f.u AND a.ev <> {exposure}\n  GROUP BY f.experiment, f.u\n),\n"
        ));
    }
    let mut user_cols = String::from("m.experiment, m.u, m.arm, m.t0, m.multi");
    for k in 0..metrics.len() {
        user_cols.push_str(&format!(", m.c{k}"));
        if pre.is_some() {
            user_cols.push_str(&format!(", m.pc{k}"));
        }
    }
    for j in 0..values.len() {
        user_cols.push_str(&format!(", m.v{j}"));
        if pre.is_some() {
            user_cols.push_str(&format!(", m.pv{j}"));
        }
    }
    for (i, col) in retention_cols.iter().enumerate() {
        user_cols.push_str(&format!(", {col} AS r{i}"));
    }
    for (i, e) in segment_exprs.iter().enumerate() {
        match e {
            Some(_) => user_cols.push_str(&format!(", m.s{i} AS g{i}")),
            None => user_cols.push_str(&format!(
                ", CASE WHEN COALESCE(x.returning, false) THEN 'returning' ELSE 'new' END AS g{i}"
            )),
        }
    }
    let act_join = if needs_act {
        " LEFT JOIN act x ON x.experiment = m.experiment AND x.u = m.u"
    } else {
        ""
    };
    sql.push_str(&format!(
        "users_m AS (\n  SELECT {user_cols}\n  FROM measured m{act_join}\n),\n"
    ));

    // Caps.
    let mut fixed_caps = vec![None; values.len()];
    let mut fixed_cap_scale = vec![None; values.len()];
    let mut cap_exprs: Vec<Option<String>> = vec![None; values.len()];
    let mut cap_joins = String::new();
    let mut cap_rows = String::new();
    for (j, cap) in caps.iter().enumerate() {
        match cap {
            Some(CapAt::Fixed(x)) => {
                let x_p = b.bind(Bind::Numeric(x.to_string()));
                cap_exprs[j] = Some(x_p);
                fixed_caps[j] = Some(*x);
                fixed_cap_scale[j] = Some(x.scale());
            }
            Some(CapAt::Percentile(nn)) => {
                let units = b.bind(Bind::Numeric(nn.units().to_string()));
                let den = b.bind(Bind::Numeric((100 * 10i128.pow(nn.scale())).to_string()));
                sql.push_str(&format!(
                    "pool{j} AS (\n  SELECT experiment, v{j} AS v,\n    row_number() OVER (PARTITION BY experiment ORDER BY v{j}) AS rn,\n    count(*) OVER (PARTITION BY experiment) AS n\n  FROM users_m WHERE NOT multi\n),\ncap{j} AS (\n  SELECT experiment, v AS cap FROM pool{j}\n  WHERE rn = LEAST(GREATEST(floor(({units} * n + {den} - 1) / {den}), 1), n)\n),\n"
                ));
                cap_joins.push_str(&format!(
                    " LEFT JOIN cap{j} k{j} ON k{j}.experiment = m.experiment"
                ));
                cap_exprs[j] = Some(format!("k{j}.cap"));
                cap_rows.push_str(&format!(
                    "\nUNION ALL SELECT 'cap', experiment, CAST(NULL AS text), {j}, CAST(NULL AS text), CAST(0 AS bigint), ARRAY[CAST(cap AS text)] FROM cap{j}"
                ));
            }
            None => {}
        }
    }
    let mut fin_cols = String::from("m.experiment, m.arm, m.t0");
    for k in 0..metrics.len() {
        fin_cols.push_str(&format!(", m.c{k}"));
        if pre.is_some() {
            fin_cols.push_str(&format!(", m.pc{k}"));
        }
    }
    for (j, cap) in cap_exprs.iter().enumerate() {
        let capped = |col: &str| match cap {
            Some(cap) => format!("LEAST(m.{col}, {cap}) AS {col}"),
            None => format!("m.{col}"),
        };
        fin_cols.push_str(&format!(", {}", capped(&format!("v{j}"))));
        if pre.is_some() {
            fin_cols.push_str(&format!(", {}", capped(&format!("pv{j}"))));
        }
    }
    for i in 0..config.retention.len() {
        fin_cols.push_str(&format!(", m.r{i}"));
    }
    for i in 0..config.segments.len() {
        fin_cols.push_str(&format!(", m.g{i}"));
    }
    sql.push_str(&format!(
        "fin AS (\n  SELECT {fin_cols}\n  FROM users_m m{cap_joins}\n  WHERE NOT m.multi\n)\n"
    ));

    // The arm rows.
    let as_text = |e: String| format!("CAST({e} AS text)");
    let mut nums = vec![match config.data_end {
        Some(end) => {
            let end = b.int(end);
            as_text(format!(
                "sum(CASE WHEN t0 + {window} > {end} THEN 1 ELSE 0 END)"
            ))
        }
        None => "'0'".to_owned(),
    }];
    for k in 0..metrics.len() {
        nums.push(as_text(format!("sum(CASE WHEN c{k} THEN 1 ELSE 0 END)")));
    }
    for j in 0..values.len() {
        nums.push(as_text(format!("sum(v{j})")));
        nums.push(as_text(format!("sum(v{j} * v{j})")));
    }
    for i in 0..config.retention.len() {
        nums.push(as_text(format!("sum(CASE WHEN r{i} THEN 1 ELSE 0 END)")));
    }
    for (_, a, bi) in &ratios {
        for e in [
            format!("sum(v{a})"),
            format!("sum(v{a} * v{a})"),
            format!("sum(v{bi})"),
            format!("sum(v{bi} * v{bi})"),
            format!("sum(v{a} * v{bi})"),
        ] {
            nums.push(as_text(e));
        }
    }
    if pre.is_some() {
        for k in 0..metrics.len() {
            nums.push(as_text(format!("sum(CASE WHEN pc{k} THEN 1 ELSE 0 END)")));
            nums.push(as_text(format!("sum(CASE WHEN pc{k} THEN 1 ELSE 0 END)")));
            nums.push(as_text(format!(
                "sum(CASE WHEN pc{k} AND c{k} THEN 1 ELSE 0 END)"
            )));
        }
        for j in 0..values.len() {
            nums.push(as_text(format!("sum(pv{j})")));
            nums.push(as_text(format!("sum(pv{j} * pv{j})")));
            nums.push(as_text(format!("sum(v{j} * pv{j})")));
        }
    }
    let (seg_index, seg_value, group_by) = if config.segments.is_empty() {
        (
            "CAST(NULL AS integer)".to_owned(),
            "CAST(NULL AS text)".to_owned(),
            "experiment, arm".to_owned(),
        )
    } else {
        let whens: String = (0..config.segments.len())
            .map(|i| format!(" WHEN g{i} IS NOT NULL THEN {i}"))
            .collect();
        let values: Vec<String> = (0..config.segments.len())
            .map(|i| format!("g{i}"))
            .collect();
        let sets: String = (0..config.segments.len())
            .map(|i| format!(", (experiment, arm, g{i})"))
            .collect();
        (
            format!("CASE{whens} END"),
            format!("COALESCE({})", values.join(", ")),
            format!("GROUPING SETS ((experiment, arm){sets})"),
        )
    };
    sql.push_str(&format!(
        "SELECT CAST('arm' AS text) AS kind, experiment, arm, {seg_index} AS seg, {seg_value} AS seg_value,\n  count(*) AS n, ARRAY[{}] AS nums\nFROM fin GROUP BY {group_by}",
        nums.join(", ")
    ));
    sql.push_str("\nUNION ALL SELECT 'multi', experiment, CAST(NULL AS text), CAST(NULL AS integer), CAST(NULL AS text), sum(CASE WHEN multi THEN 1 ELSE 0 END), CAST(ARRAY[] AS text[]) FROM users_m GROUP BY experiment");
    if config.convention.experiment_key_property().is_some() {
        sql.push_str("\nUNION ALL SELECT 'flag', experiment, flag, NULL, NULL, 0, CAST(ARRAY[] AS text[]) FROM (\n  SELECT experiment, flag, row_number() OVER (PARTITION BY experiment ORDER BY t) AS nth FROM exposures\n) fl WHERE nth = 1");
        if let Some(w) = &wanted {
            sql.push_str(&format!(
                "\nUNION ALL SELECT 'excluded', experiment, flag, NULL, NULL, count(*), CAST(ARRAY[] AS text[]) FROM kept WHERE NOT ({}) GROUP BY experiment, flag",
                d.any_of("experiment", w)
            ));
        }
    }
    sql.push_str("\nUNION ALL SELECT 'stats', NULL, NULL, NULL, NULL, events, ARRAY[CAST(anonymous AS text), COALESCE(CAST(latest AS text), ''), CAST((SELECT count(*) FROM tracked WHERE copy > 1) AS text)] FROM stats");
    for j in 0..values.len() {
        sql.push_str(&format!(
            "\nUNION ALL SELECT 'scale', NULL, NULL, {j}, NULL, 0, ARRAY[COALESCE(CAST((SELECT max({}) FROM tracked WHERE a{j} IS NOT NULL) AS text), '0')]",
            d.scale(&format!("a{j}"))
        ));
    }
    sql.push_str(&cap_rows);

    let shape = Shape {
        metrics,
        values,
        value_reported,
        retention: config.retention.iter().map(|r| r.spec.clone()).collect(),
        ratios,
        covariates: pre.is_some(),
        segments: config.segments.clone(),
        fixed_cap_scale,
        fixed_caps,
        requested: config.experiments.clone(),
        flag_keys: config.flag_keys.clone(),
    };
    Ok(Query {
        sql,
        binds: b.binds,
        shape,
    })
}
