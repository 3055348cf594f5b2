//! Per exposed user: `measured` (conversions, value totals and named retention in the window,
//! the pre-exposure covariates), `act` (`*` retention and new vs returning from all of the
//! user's events) and `users_m`, one row per (experiment, user) with every measure.

use super::Gen;
use crate::domain::attribution::RetentionEvent;

impl Gen<'_> {
    pub(super) fn users(&mut self) {
        let Gen {
            b,
            config,
            sql,
            metrics,
            values,
            any_activity,
            exposure,
            window,
            pre,
            segment_exprs,
            ..
        } = self;
        // Per exposed user.
        let in_window = format!("tr.t >= f.t0 AND tr.t < f.t0 + {window}");
        *pre = config.pre_days.map(|days| b.int(i64::from(days) * 86_400));
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
        let needs_act = *any_activity;
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
    }
}
