//! The end of the statement: the caps (`poolN`, `capN`), the capped per-user values of
//! counted users (`fin`), and the rows returned: per arm (and per segment value) the sums,
//! then the bookkeeping rows in the same shape.

use super::{Bind, Gen};
use crate::domain::attribution::{CapAt, Decimal};

impl Gen<'_> {
    /// Writes the rest of the statement; returns per value metric its fixed cap and that cap's
    /// scale.
    #[allow(clippy::type_complexity)]
    pub(super) fn result(&mut self) -> (Vec<Option<Decimal>>, Vec<Option<u32>>) {
        let Gen {
            d,
            b,
            config,
            sql,
            metrics,
            values,
            ratios,
            caps,
            window,
            pre,
            wanted,
            ..
        } = self;
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
        for (_, a, bi) in ratios.iter() {
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

        (fixed_caps, fixed_cap_scale)
    }
}
